import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKind, checkUrl, isLoopbackHost, type Resolver } from '../../src/core/oauth/url-guard';

const resolveTo = (...addresses: string[]): Resolver => async () => addresses;
const noDns: Resolver = async () => {
  throw new Error('no DNS in unit tests');
};

describe('SSRF guard', () => {
  it('classifies addresses', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'], ['127.0.0.2', 'loopback'], ['127.255.255.254', 'loopback'], ['::1', 'loopback'], ['[::1]', 'loopback'],
      ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
      ['169.254.169.254', 'private'], ['0.0.0.0', 'private'], ['100.64.0.1', 'private'], ['224.0.0.1', 'private'],
      ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['fe80::1', 'private'], ['::', 'private'], ['ff02::1', 'private'],
      ['::ffff:10.0.0.1', 'private'], ['::ffff:a00:1', 'private'], ['::ffff:127.0.0.1', 'loopback'], ['::ffff:169.254.169.254', 'private'],
      ['8.8.8.8', 'public'], ['172.32.0.1', 'public'], ['2606:4700::1111', 'public'], ['::ffff:8.8.8.8', 'public'],
    ];
    for (const [ip, kind] of cases) assert.equal(addressKind(ip), kind, ip);
  });

  it('knows loopback hosts', () => {
    assert.ok(isLoopbackHost('localhost'));
    assert.ok(isLoopbackHost('127.0.0.9'));
    assert.ok(isLoopbackHost('[::1]'));
    assert.ok(!isLoopbackHost('10.0.0.1'));
    assert.ok(!isLoopbackHost('example.com'));
  });

  it('allows https to public hosts and http on loopback', async () => {
    await checkUrl('https://auth.example.com/token', 'the token endpoint', resolveTo('93.184.216.34'));
    await checkUrl('http://127.0.0.1:9999/token', 'the token endpoint', noDns);
    await checkUrl('http://127.0.0.2:8080/.well-known/openid-configuration', 'x', noDns);
    await checkUrl('http://[::1]:8080/token', 'x', noDns);
    await checkUrl('http://localhost:8080/token', 'x', noDns);
    await checkUrl('https://127.0.0.1/token', 'x', noDns);
  });

  const refusals: Array<[string, Resolver, string]> = [
    ['http://auth.example.com/token', noDns, 'Refused the token endpoint (http://auth.example.com): it must use https (http is allowed only on loopback).'],
    ['https://10.0.0.5/token', noDns, 'Refused the token endpoint (https://10.0.0.5): it points to a private or link-local address.'],
    ['https://169.254.169.254/latest/meta-data', noDns, 'Refused the token endpoint (https://169.254.169.254): it points to a private or link-local address.'],
    ['https://[fd00::1]/token', noDns, 'Refused the token endpoint (https://[fd00::1]): it points to a private or link-local address.'],
    ['https://[::ffff:192.168.0.1]/token', noDns, 'Refused the token endpoint (https://[::ffff:c0a8:1]): it points to a private or link-local address.'],
    ['https://internal.example.com/token', resolveTo('93.184.216.34', '192.168.1.10'), 'Refused the token endpoint (https://internal.example.com): its host name resolves to a private or link-local address.'],
    ['https://user:pw@auth.example.com/token', noDns, 'Refused the token endpoint (https://auth.example.com): it carries credentials.'],
    ['javascript:alert(1)', noDns, 'Refused the token endpoint (null): it must use https (http is allowed only on loopback).'],
    ['not a url', noDns, 'Refused the token endpoint: it is not a valid URL.'],
    ['http://192.168.1.1/token', noDns, 'Refused the token endpoint (http://192.168.1.1): it must use https (http is allowed only on loopback).'],
  ];
  for (const [url, resolver, message] of refusals) {
    it(`refuses ${url}`, async () => {
      await assert.rejects(checkUrl(url, 'the token endpoint', resolver), (e: Error & { code?: string }) => {
        assert.equal(e.message, message);
        assert.equal(e.code, 'unsafe_url');
        return true;
      });
    });
  }
});
