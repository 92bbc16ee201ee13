// server.json to mcpHub.servers entries, without a network: what each package kind and remote kind
// runs, what is asked, how secrets are kept, and whether an entry runs what a registry version says.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServer } from '../../src/core/config';
import type { RegistryServer } from '../../src/core/registry/model';
import { parseServerList, parseServerResponse, PAGE_ENTRIES_MAX, RegistryShapeError } from '../../src/core/registry/parse';
import { answersIn, matchEntry } from '../../src/core/registry/match';
import {
  defaultAnswers,
  entryFor,
  InstallError,
  installOptions,
  optionProblem,
  preview,
  questions,
  shapeOf,
  type Answers,
  type InstallOption,
} from '../../src/core/registry/install';
import { catalog, hostile, server, type RegistryEntry } from '../fixtures/registry';

const REGISTRY = 'https://registry.example.com';
const wrap = (e: RegistryEntry) => e.raw ?? { server: e.server };
const parsed = (name: string, version?: string): RegistryServer => {
  const e = catalog().find((x) => x.server.name === name && (version === undefined || x.server.version === version))!;
  return parseServerResponse(wrap(e));
};
const only = (s: RegistryServer): InstallOption => {
  const options = installOptions(s);
  assert.equal(options.length, 1);
  return options[0];
};
const install = (s: RegistryServer, answers: Answers, key = 'srv') => {
  const shape = shapeOf(only(s));
  return entryFor(shape, { ...defaultAnswers(shape), ...answers }, { url: REGISTRY, name: s.name, version: s.version }, (q) => `${key}.${q.id}`);
};

describe('registry answers, read defensively', () => {
  const page = parseServerList({ servers: [...catalog(), ...hostile()].map(wrap), metadata: { nextCursor: 'abc', count: 2 } });

  it('keeps the good entries and drops each bad one on its own, saying why', () => {
    assert.ok(page.servers.some((s) => s.name === 'io.github.acme/remote-http'));
    assert.deepEqual(
      page.rejected.map((r) => r.reason),
      ['the version is not a string', 'the entry is not an object'],
    );
    assert.equal(page.nextCursor, 'abc');
  });

  it('makes registry text inert: markup defused, control and bidi characters gone, secrets masked, links only https', () => {
    const evil = page.servers.find((s) => s.name === 'io.github.evil/markup')!;
    assert.ok(!evil.title!.includes('](command:'), evil.title);
    // eslint-disable-next-line no-control-regex -- the escape character must be gone.
    assert.ok(!/[\u001b\u202e\u202c]/.test(evil.description));
    assert.ok(!evil.description.includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789'));
    assert.equal(evil.repository, undefined, 'javascript: link dropped');
    assert.equal(evil.websiteUrl, undefined, 'data: link dropped');
    const big = page.servers.find((s) => s.name === 'io.github.evil/big-description')!;
    assert.ok(big.description.length <= 600);
  });

  it('drops a package that would put "${" into settings, and keeps the entry\'s remote', () => {
    const v = page.servers.find((s) => s.name === 'io.github.evil/variable')!;
    assert.equal(v.packages.length, 0);
    assert.equal(v.remotes.length, 1);
    assert.match(v.skipped[0], /packageArguments\[0\]\.value holds "\$\{", which MCP Hub would read as a variable/);
  });

  it('refuses a page with more entries than it reads, and an answer that is not a list', () => {
    const many = { servers: Array.from({ length: PAGE_ENTRIES_MAX + 1 }, () => ({ server: { name: 'a/b', version: '1' } })) };
    assert.throws(() => parseServerList(many), RegistryShapeError);
    assert.throws(() => parseServerList({ servers: 'none' }), /without a "servers" list/);
    assert.throws(() => parseServerResponse('text'), /cannot use: the entry is not an object/);
  });

  it('leaves deleted servers out and reads the official status', () => {
    const p = parseServerList({
      servers: [
        { server: { name: 'a/deleted', version: '1', description: 'd' }, _meta: { 'io.modelcontextprotocol.registry/official': { status: 'deleted' } } },
        { server: { name: 'a/old', version: '1', description: 'd' }, _meta: { 'io.modelcontextprotocol.registry/official': { status: 'deprecated', isLatest: true } } },
      ],
    });
    assert.deepEqual(
      p.servers.map((s) => [s.name, s.status, s.isLatest]),
      [['a/old', 'deprecated', true]],
    );
    assert.deepEqual(p.rejected, [{ index: 0, reason: 'it was deleted from the registry' }]);
  });
});

describe('installing each kind', () => {
  it('npm: npx -y <pkg>@<version>, the secret as ${input:…}, optional defaults filled, provenance', () => {
    const s = parsed('io.github.acme/weather', '1.0.0');
    const shape = shapeOf(only(s));
    assert.deepEqual(
      questions(shape).map((q) => [q.id, q.required, q.secret]),
      [
        ['env.WEATHER_API_KEY', true, true],
        ['env.WEATHER_UNITS', false, false],
      ],
    );
    assert.equal(preview(shape, defaultAnswers(shape)), 'npx -y @acme/weather-mcp@1.0.0  (environment: WEATHER_API_KEY, WEATHER_UNITS)');
    const { entry, secrets } = install(s, { 'env.WEATHER_API_KEY': 'wx-secret-123456' }, 'weather');
    assert.deepEqual(entry, {
      command: 'npx',
      args: ['-y', '@acme/weather-mcp@1.0.0'],
      env: { WEATHER_API_KEY: '${input:weather.env.WEATHER_API_KEY}', WEATHER_UNITS: 'metric' },
      registry: { url: REGISTRY, name: 'io.github.acme/weather', version: '1.0.0' },
    });
    assert.deepEqual(secrets, [{ input: 'weather.env.WEATHER_API_KEY', value: 'wx-secret-123456' }]);
    assert.ok(!JSON.stringify(entry).includes('wx-secret-123456'));
    // What is written is an ordinary entry.
    assert.ok(parseServer('weather', entry, 'user').ok);
  });

  it("PyPI: uvx <pkg>==<version>, a choice as the flag's value", () => {
    const { entry } = install(parsed('io.github.acme/pyweather'), { 'arg.--units': 'fahrenheit' });
    assert.deepEqual(entry.args, ['weather-mcp-server==0.5.0', '--units', 'fahrenheit']);
    assert.equal(entry.command, 'uvx');
  });

  it('OCI: docker run -i --rm, runtime arguments with their variables, -e for each variable, the image with its tag', () => {
    const { entry, secrets } = install(parsed('io.github.acme/dockerized'), { 'runtime.--mount.source_path': '/home/me/data', 'env.DB_PASSWORD': 'db-password-98765' }, 'db');
    assert.equal(entry.command, 'docker');
    assert.deepEqual(entry.args, ['run', '-i', '--rm', '--mount', 'type=bind,src=/home/me/data,dst=/project', '-e', 'DB_PASSWORD', 'ghcr.io/acme/dockerized:2.0.0']);
    assert.deepEqual(entry.env, { DB_PASSWORD: '${input:db.env.DB_PASSWORD}' });
    assert.equal(secrets.length, 1);
  });

  it('OCI: an image without a tag gets the version as its tag', () => {
    const s = parseServerResponse({
      server: server('a/img', '1.0.0', { packages: [{ registryType: 'oci', identifier: 'docker.io/acme/img', version: '1.0.0', transport: { type: 'stdio' } }] }),
    });
    assert.deepEqual(install(s, {}).entry.args, ['run', '-i', '--rm', 'docker.io/acme/img:1.0.0']);
  });

  it('NuGet: dnx <pkg>@<version> --yes, then -- and the package arguments', () => {
    const { entry } = install(parsed('io.github.acme/dotnet'), {});
    assert.deepEqual([entry.command, ...(entry.args as string[])], ['dnx', 'Acme.SampleMcpServer@0.4.0-beta', '--yes', '--', 'mcp', 'start']);
  });

  it('respects runtimeHint: another runner for the same package', () => {
    const pkg = (registryType: string, identifier: string, runtimeHint: string) =>
      parseServerResponse({ server: server('a/hinted', '2.0.0', { packages: [{ registryType, identifier, version: '2.0.0', runtimeHint, transport: { type: 'stdio' } }] }) });
    const run = (s: RegistryServer) => {
      const { entry } = install(s, {});
      return [entry.command, ...(entry.args as string[])].join(' ');
    };
    assert.equal(run(pkg('npm', 'hinted-mcp', 'bunx')), 'bunx hinted-mcp@2.0.0');
    assert.equal(run(pkg('pypi', 'hinted-mcp', 'pipx')), 'pipx run hinted-mcp==2.0.0');
    assert.equal(run(pkg('oci', 'ghcr.io/a/hinted', 'podman')), 'podman run -i --rm ghcr.io/a/hinted:2.0.0');
    assert.match(
      parseServerResponse({ server: server('a/x', '1', { packages: [{ registryType: 'npm', identifier: 'x', runtimeHint: '/bin/sh -c', transport: { type: 'stdio' } }] }) })
        .skipped[0],
      /runtimeHint is not a program name/,
    );
  });

  it('Streamable HTTP: the URL and the secret header as ${input:…}', () => {
    const { entry, secrets } = install(parsed('io.github.acme/remote-http'), { 'header.X-Api-Key': 'api-key-abcdef-123' }, 'remote');
    assert.deepEqual(entry, {
      type: 'streamable-http',
      url: 'https://mcp.weather.example/mcp',
      headers: { 'X-Api-Key': '${input:remote.header.X-Api-Key}' },
      registry: { url: REGISTRY, name: 'io.github.acme/remote-http', version: '3.0.0' },
    });
    assert.deepEqual(secrets, [{ input: 'remote.header.X-Api-Key', value: 'api-key-abcdef-123' }]);
  });

  it('SSE: a URL variable filled from its choices', () => {
    const s = parsed('io.github.acme/remote-sse');
    const shape = shapeOf(only(s));
    assert.equal(preview(shape), 'https://<region (in the URL)>.sse.example/sse');
    assert.deepEqual(install(s, { 'url.region': 'us' }).entry, {
      type: 'sse',
      url: 'https://us.sse.example/sse',
      registry: { url: REGISTRY, name: 'io.github.acme/remote-sse', version: '1.0.0' },
    });
  });

  it('refuses what must not be installed: a missing answer, a name read as a flag, a private address', () => {
    assert.throws(
      () => install(parsed('io.github.acme/remote-http'), {}),
      (e: unknown) => e instanceof InstallError && /X-Api-Key \(header\) needs a value/.test(e.message),
    );
    const flag = parseServerResponse(wrap(hostile().find((e) => e.server.name === 'io.github.evil/flag')!));
    assert.match(optionProblem(only(flag), REGISTRY) ?? '', /npm package name is not one its registry allows/);
    const priv = parseServerResponse(wrap(hostile().find((e) => e.server.name === 'io.github.evil/private')!));
    assert.match(optionProblem(only(priv), REGISTRY) ?? '', /link-local/);
    // Loopback servers only from a registry on this machine.
    const local = parseServerResponse({ server: server('a/local', '1', { remotes: [{ type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' }] }) });
    assert.match(optionProblem(only(local), REGISTRY) ?? '', /loopback/);
    assert.equal(optionProblem(only(local), 'http://127.0.0.1:8080'), undefined);
  });
});

describe('an entry against what a registry version describes', () => {
  const weather = parsed('io.github.acme/weather', '1.0.0');
  const shape = shapeOf(only(weather));
  const { entry } = install(weather, { 'env.WEATHER_API_KEY': 'k-1234567' }, 'weather');
  const fields = entry as { command: string; args: string[]; env: Record<string, string> };

  it('finds the answers it holds, secrets as their references', () => {
    assert.deepEqual(answersIn(shape, fields), { 'env.WEATHER_API_KEY': '${input:weather.env.WEATHER_API_KEY}', 'env.WEATHER_UNITS': 'metric' });
    const { WEATHER_UNITS: _u, ...withoutOptional } = fields.env;
    assert.ok(matchEntry(shape, { ...fields, env: withoutOptional }), 'an optional variable may be left out');
  });

  it('refuses another command, another package, an extra argument or variable, or a working directory', () => {
    assert.ok(!matchEntry(shape, { ...fields, command: 'node' }));
    assert.ok(!matchEntry(shape, { ...fields, args: ['-y', '@evil/weather-mcp@1.0.0'] }));
    assert.ok(!matchEntry(shape, { ...fields, args: [...fields.args, '--inspect'] }));
    assert.ok(!matchEntry(shape, { ...fields, env: { ...fields.env, NODE_OPTIONS: '--require /tmp/x.js' } }));
    assert.ok(!matchEntry(shape, { ...fields, env: { WEATHER_UNITS: 'metric' } }), 'a required variable is missing');
    assert.ok(!matchEntry(shape, { ...fields, cwd: '/tmp/evil' }));
    assert.ok(!matchEntry(shape, { url: 'https://evil.example/mcp' }));
  });

  it('matches a remote by its URL template, and lets the entry negotiate the transport ("http")', () => {
    const sse = shapeOf(only(parsed('io.github.acme/remote-sse')));
    assert.ok(matchEntry(sse, { type: 'sse', url: 'https://eu.sse.example/sse' }));
    assert.ok(matchEntry(sse, { url: 'https://eu.sse.example/sse' }));
    assert.ok(!matchEntry(sse, { type: 'streamable-http', url: 'https://eu.sse.example/sse' }));
    assert.ok(!matchEntry(sse, { type: 'sse', url: 'https://eu.sse.evil.example/sse' }));
    assert.ok(!matchEntry(sse, { type: 'sse', url: 'https://eu.sse.example/sse', headers: { 'X-Extra': '1' } }));
  });

  it('stays quick with many optional arguments and an entry that does not match', () => {
    const args = Array.from({ length: 64 }, (_, i) => ({ type: 'positional', valueHint: `a${i}`, description: 'optional' }));
    const s = parseServerResponse({
      server: server('a/many', '1', { packages: [{ registryType: 'npm', identifier: 'many', version: '1', transport: { type: 'stdio' }, packageArguments: args }] }),
    });
    const many = shapeOf(only(s));
    // Every prefix of optional groups can take any argument: without memory this would try 2^64 ways.
    assert.ok(!matchEntry(many, { command: 'npx', args: ['-y', 'many@1', ...Array.from({ length: 64 }, () => 'x'), 'one-too-many'] }));
    assert.ok(matchEntry(many, { command: 'npx', args: ['-y', 'many@1', ...Array.from({ length: 64 }, () => 'x')] }));
  });
});
