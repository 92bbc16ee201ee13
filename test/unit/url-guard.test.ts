import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import {
  addressKind,
  addressRange,
  checkTokenEndpoint,
  checkUrl,
  checkUrlForm,
  guardedLookup,
  guardFor,
  HTTP_TOKEN_HOSTS,
  isLoopbackHost,
  sdkSendsTokensTo,
  type GuardOptions,
  type Resolver,
} from '../../src/core/oauth/url-guard';
import { isOAuthFlowError } from '../../src/core/oauth/errors';

const resolveTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses;
const noDns: Resolver = async () => {
  throw new Error('no DNS in unit tests');
};
const publicGuard = (resolver: Resolver = noDns): GuardOptions => ({ allowLoopback: false, resolver });
const loopbackGuard = (resolver: Resolver = noDns): GuardOptions => ({ allowLoopback: true, resolver });

describe('SSRF guard', () => {
  it('classifies addresses with their ipaddr.js range', () => {
    // prettier-ignore
    const cases: Array<[string, string, string]> = [
      ['127.0.0.1', 'loopback', 'loopback'], ['127.0.0.2', 'loopback', 'loopback'], ['127.255.255.254', 'loopback', 'loopback'],
      ['::1', 'loopback', 'loopback'], ['[::1]', 'loopback', 'loopback'],
      ['10.1.2.3', 'special', 'private'], ['172.16.0.1', 'special', 'private'], ['172.31.255.255', 'special', 'private'], ['192.168.1.1', 'special', 'private'],
      ['169.254.169.254', 'special', 'linkLocal'], ['0.0.0.0', 'special', 'unspecified'], ['0.1.2.3', 'special', 'unspecified'],
      ['100.64.0.1', 'special', 'carrierGradeNat'], ['224.0.0.1', 'special', 'multicast'], ['255.255.255.255', 'special', 'broadcast'],
      ['240.0.0.1', 'special', 'reserved'], ['192.0.0.8', 'special', 'reserved'], ['192.0.2.1', 'special', 'reserved'], ['198.18.0.1', 'special', 'reserved'],
      ['198.19.255.255', 'special', 'reserved'], ['198.51.100.7', 'special', 'reserved'], ['203.0.113.9', 'special', 'reserved'],
      ['192.88.99.1', 'special', 'reserved'], ['192.31.196.1', 'special', 'as112'], ['192.52.193.1', 'special', 'amt'],
      ['fc00::1', 'special', 'uniqueLocal'], ['fd12:3456::1', 'special', 'uniqueLocal'], ['fe80::1', 'special', 'linkLocal'], ['fe80::1%eth0', 'special', 'linkLocal'],
      ['::', 'special', 'unspecified'], ['ff02::1', 'special', 'multicast'], ['fec0::1', 'special', 'deprecatedSiteLocal'],
      ['::ffff:10.0.0.1', 'special', 'ipv4Mapped'], ['::ffff:a00:1', 'special', 'ipv4Mapped'], ['::ffff:127.0.0.1', 'special', 'ipv4Mapped'], ['::ffff:8.8.8.8', 'special', 'ipv4Mapped'],
      ['::ffff:0:808:808', 'special', 'rfc6145'], ['64:ff9b::a00:1', 'special', 'rfc6052'], ['64:ff9b::808:808', 'special', 'rfc6052'], ['64:ff9b:1::a00:1', 'special', 'rfc6052'],
      ['2002:a00:1::', 'special', '6to4'], ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'special', 'teredo'], ['::a00:1', 'special', 'ipv4Compatible'], ['::808:808', 'special', 'ipv4Compatible'],
      // ipaddr.js reads the dotted IPv4-compatible form as mapped; refused either way.
      ['::8.8.8.8', 'special', 'ipv4Mapped'],
      ['2001:db8::1', 'special', 'reserved'], ['2001:2::1', 'special', 'benchmarking'], ['100::1', 'special', 'discard'], ['4000::1', 'special', 'unassigned'],
      ['8.8.8.8', 'public', 'unicast'], ['172.32.0.1', 'public', 'unicast'], ['93.184.216.34', 'public', 'unicast'], ['2606:4700::1111', 'public', 'unicast'],
      ['0x7f.1', 'special', 'invalid'], ['2130706433', 'special', 'invalid'], ['example.com', 'special', 'invalid'],
    ];
    for (const [ip, kind, range] of cases) {
      assert.equal(addressRange(ip), range, ip);
      assert.equal(addressKind(ip), kind, ip);
    }
  });

  it('knows loopback hosts', () => {
    assert.ok(isLoopbackHost('localhost'));
    assert.ok(isLoopbackHost('LOCALHOST.'));
    assert.ok(isLoopbackHost('app.localhost'));
    assert.ok(isLoopbackHost('127.0.0.9'));
    assert.ok(isLoopbackHost('[::1]'));
    assert.ok(!isLoopbackHost('[::ffff:7f00:1]'));
    assert.ok(!isLoopbackHost('10.0.0.1'));
    assert.ok(!isLoopbackHost('example.com'));
    assert.ok(!isLoopbackHost('localhost.example.com'));
  });

  it('allows loopback only for a server on loopback', () => {
    assert.equal(guardFor('http://127.0.0.1:3000/mcp').allowLoopback, true);
    assert.equal(guardFor('http://localhost:3000/mcp').allowLoopback, true);
    assert.equal(guardFor('http://[::1]:3000/mcp').allowLoopback, true);
    assert.equal(guardFor('https://mcp.example.com/mcp').allowLoopback, false);
    assert.equal(guardFor('https://10.0.0.1/mcp').allowLoopback, false);
    assert.equal(guardFor('not a url').allowLoopback, false);
  });

  it('allows https to public hosts, and http on loopback for a loopback server', async () => {
    await checkUrl('https://auth.example.com/token', 'the token endpoint', publicGuard(resolveTo('93.184.216.34', '2606:4700::1111')));
    await checkUrl('https://8.8.8.8/token', 'the token endpoint', publicGuard());
    await checkUrl('http://127.0.0.1:9999/token', 'the token endpoint', loopbackGuard());
    await checkUrl('http://127.0.0.2:8080/.well-known/openid-configuration', 'x', loopbackGuard());
    await checkUrl('http://[::1]:8080/token', 'x', loopbackGuard());
    await checkUrl('http://localhost:8080/token', 'x', loopbackGuard());
    await checkUrl('https://127.0.0.1/token', 'x', loopbackGuard());
    await checkUrl('https://as.internal.test/token', 'x', loopbackGuard(resolveTo('127.0.0.1')));
  });

  const L = 'this machine (loopback), which only an MCP server on this machine may use';
  const refusals: Array<[string, GuardOptions, string]> = [
    ['http://auth.example.com/token', publicGuard(), 'Refused the token endpoint (http://auth.example.com): it must use https (http is allowed only on loopback).'],
    ['https://10.0.0.5/token', publicGuard(), 'Refused the token endpoint (https://10.0.0.5): it points to a private address.'],
    ['https://169.254.169.254/latest/meta-data', publicGuard(), 'Refused the token endpoint (https://169.254.169.254): it points to a link-local address.'],
    ['https://[fd00::1]/token', publicGuard(), 'Refused the token endpoint (https://[fd00::1]): it points to a unique-local address.'],
    ['https://[::ffff:192.168.0.1]/token', publicGuard(), 'Refused the token endpoint (https://[::ffff:c0a8:1]): it points to an IPv6 address that embeds an IPv4 address.'],
    ['https://[::ffff:8.8.8.8]/token', publicGuard(), 'Refused the token endpoint (https://[::ffff:808:808]): it points to an IPv6 address that embeds an IPv4 address.'],
    [
      'https://internal.example.com/token',
      publicGuard(resolveTo('93.184.216.34', '192.168.1.10')),
      'Refused the token endpoint (https://internal.example.com): its host name resolves to a private address.',
    ],
    ['https://user:pw@auth.example.com/token', publicGuard(), 'Refused the token endpoint (https://auth.example.com): it carries credentials.'],
    ['javascript:alert(1)', publicGuard(), 'Refused the token endpoint (a javascript: URL): it must use https (http is allowed only on loopback).'],
    ['not a url', publicGuard(), 'Refused the token endpoint: it is not a valid URL.'],
    ['http://192.168.1.1/token', publicGuard(), 'Refused the token endpoint (http://192.168.1.1): it must use https (http is allowed only on loopback).'],
    ['http://127.0.0.1:8080/token', publicGuard(), `Refused the token endpoint (http://127.0.0.1:8080): it points to ${L}.`],
    ['http://localhost:8080/token', publicGuard(), `Refused the token endpoint (http://localhost:8080): it points to ${L}.`],
    ['https://[::1]/token', publicGuard(), `Refused the token endpoint (https://[::1]): it points to ${L}.`],
    ['https://as.example.com/token', publicGuard(resolveTo('127.0.0.1')), `Refused the token endpoint (https://as.example.com): its host name resolves to ${L}.`],
    [
      'http://as.example.com/token',
      loopbackGuard(resolveTo('127.0.0.1')),
      'Refused the token endpoint (http://as.example.com): it must use https (http is allowed only on loopback).',
    ],
    ['https://[::ffff:127.0.0.1]/token', loopbackGuard(), 'Refused the token endpoint (https://[::ffff:7f00:1]): it points to an IPv6 address that embeds an IPv4 address.'],
  ];
  for (const [url, guard, message] of refusals) {
    it(`refuses ${url} (allowLoopback ${guard.allowLoopback})`, async () => {
      await assert.rejects(checkUrl(url, 'the token endpoint', guard), (e: Error & { code?: string }) => {
        assert.equal(e.message, message);
        assert.equal(e.code, 'unsafe_url');
        return true;
      });
    });
  }

  it('says when a host name does not resolve', async () => {
    await assert.rejects(checkUrl('https://nowhere.example.com/token', 'the token endpoint', publicGuard()), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'unreachable');
      assert.equal(e.message, 'Could not resolve the host of the token endpoint (nowhere.example.com).');
      return true;
    });
    await assert.rejects(checkUrl('https://empty.example.com/token', 'the token endpoint', publicGuard(resolveTo())), { code: 'unreachable' });
  });

  it('checks the form of a URL without DNS', () => {
    let asked = 0;
    const counting: Resolver = async () => {
      asked++;
      return ['10.0.0.1'];
    };
    assert.equal(checkUrlForm('https://as.example.com/token', 'x', { allowLoopback: false }).host, 'as.example.com');
    assert.throws(() => checkUrlForm('https://10.0.0.1/token', 'x', publicGuard(counting)), { code: 'unsafe_url' });
    assert.equal(asked, 0);
  });

  it('hands a socket only the addresses it checked', async () => {
    const lookup = guardedLookup(publicGuard(resolveTo('93.184.216.34', '2606:4700::1111')));
    const call = (options: { all?: boolean; family?: number }) =>
      new Promise<{ error: Error | null; address: string | LookupAddress[]; family?: number }>((resolve) =>
        lookup('as.example.com', options, (error, address, family) => resolve({ error, address, ...(family !== undefined ? { family } : {}) })),
      );
    assert.deepEqual(await call({ all: true }), {
      error: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ],
    });
    assert.deepEqual(await call({}), { error: null, address: '93.184.216.34', family: 4 });
    assert.deepEqual(await call({ family: 6 }), { error: null, address: '2606:4700::1111', family: 6 });
    const refused = guardedLookup(publicGuard(resolveTo('93.184.216.34', '10.0.0.1')));
    const error = await new Promise<Error | null>((resolve) => refused('as.example.com', { all: true }, (e) => resolve(e)));
    assert.equal(error?.message, 'Refused the host as.example.com: its host name resolves to a private address.');
  });
});

describe('token endpoints over http: the SDK rule, checked before the sign-in', () => {
  // What the README promises: over http, tokens go to localhost (and *.localhost), 127.0.0.1 and [::1] only.
  const sent = [
    'http://localhost:8080/token',
    'http://LOCALHOST/token',
    'http://app.localhost:1/token',
    'http://127.0.0.1:9000/token',
    'http://127.1/token',
    'http://[::1]:3000/token',
    'http://[0:0:0:0:0:0:0:1]/token',
    'https://127.0.0.2/token',
    'https://as.example/token',
  ];
  const refused = ['http://127.0.0.2:9000/token', 'http://127.255.255.254/token', 'http://localhost./token', 'http://2130706434/token', 'http://as.example/token'];
  it('agrees with the hosts the README names', () => {
    for (const url of sent) assert.equal(sdkSendsTokensTo(url), true, url);
    for (const url of refused) assert.equal(sdkSendsTokensTo(url), false, url);
    assert.equal(sdkSendsTokensTo('not a url'), false);
    assert.equal(HTTP_TOKEN_HOSTS, 'localhost (or a name ending in .localhost), 127.0.0.1 or [::1]');
  });
  it('refuses in our words, naming the field and the origin only', () => {
    for (const url of sent) checkTokenEndpoint(url, 'the token_endpoint');
    assert.throws(
      () => checkTokenEndpoint('http://127.0.0.2:9000/t/9f86d081884c7d659a2feaa0c55ad015?x=[a](command:y)', 'the token_endpoint'),
      (e: unknown) =>
        isOAuthFlowError(e) &&
        e.code === 'unsafe_url' &&
        e.message ===
          'Refused the token_endpoint (http://127.0.0.2:9000): over http, tokens are sent only to localhost (or a name ending in .localhost), 127.0.0.1 or [::1], so the sign-in could not finish; use https or one of those hosts.',
    );
    assert.throws(() => checkTokenEndpoint('::', 'the token_endpoint'), /Refused the token_endpoint: it is not a valid URL\./);
  });
});
