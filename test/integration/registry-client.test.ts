// The registry client against a registry serving the v0.1 API: search, cursor paging, a server's
// versions and latest; hostile entries; and a registry that is down, slow, answers garbage, huge pages
// or HTTP 500, each a clear error naming the registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, RegistryError, registryBase } from '../../src/core/registry/client';
import { catalog, hostile, server, startRegistry, type RegistryFixture } from '../fixtures/registry';

describe('registry client (v0.1 API)', () => {
  let registry: RegistryFixture;
  let client: RegistryClient;
  before(async () => {
    registry = await startRegistry([...catalog(), ...hostile()]);
    client = new RegistryClient(registry.url);
  });
  after(() => registry.close());

  it('lists the latest version of each server and searches by name', async () => {
    const page = await client.list();
    const names = page.servers.map((s) => s.name);
    assert.equal(names.filter((n) => n === 'io.github.acme/weather').length, 1);
    assert.equal(page.servers.find((s) => s.name === 'io.github.acme/weather')!.version, '1.1.0');
    assert.ok(registry.requests.at(-1)!.startsWith('/v0.1/servers?limit=30&version=latest'));
    const found = await client.list({ search: 'REMOTE' });
    assert.deepEqual(found.servers.map((s) => s.name).sort(), ['io.github.acme/remote-http', 'io.github.acme/remote-sse']);
    assert.deepEqual((await client.list({ search: 'no-such-server' })).servers, []);
  });

  it('pages with the cursor the registry gives, to the end', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.servers.map((s) => s.name), ...page.rejected.map((r) => `rejected:${r.index}`));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.ok(pages >= 4, `pages: ${pages}`);
    assert.equal(new Set(seen.filter((n) => !n.startsWith('rejected:'))).size, seen.filter((n) => !n.startsWith('rejected:')).length, 'no server twice');
    assert.ok(seen.includes('io.github.acme/remote-sse') && seen.includes('io.github.evil/private'));
  });

  it("reads a server's versions, one version, and the latest", async () => {
    assert.deepEqual(
      (await client.versions('io.github.acme/weather')).map((s) => s.version),
      ['1.1.0', '1.0.0'],
    );
    assert.equal((await client.version('io.github.acme/weather', '1.0.0')).version, '1.0.0');
    assert.equal((await client.latest('io.github.acme/weather')).version, '1.1.0');
    assert.ok(registry.requests.includes('/v0.1/servers/io.github.acme%2Fweather/versions/latest'));
    await assert.rejects(client.version('io.github.acme/weather', '9.9.9'), (e: unknown) => e instanceof RegistryError && e.code === 'registry_not_found');
    registry.publish({ server: server('io.github.acme/weather', '1.2.0', { remotes: [{ type: 'streamable-http', url: 'https://w.example/mcp' }] }) });
    assert.equal((await client.latest('io.github.acme/weather')).version, '1.2.0');
  });

  it('keeps the good entries of a page with hostile ones, and each hostile one inert', async () => {
    const page = await client.list({ search: 'evil' });
    assert.deepEqual(page.rejected.length, 2);
    const text = JSON.stringify(page.servers);
    assert.ok(!text.includes('javascript:') && !text.includes('data:text/html') && !text.includes('\u001b') && !text.includes('](command:'));
    assert.ok(page.servers.every((s) => s.description.length <= 600 && (s.title?.length ?? 0) <= 120));
  });
});

describe('a registry that fails', () => {
  let registry: RegistryFixture;
  before(async () => {
    registry = await startRegistry([...catalog(), ...hostile({ huge: true })]);
  });
  after(() => registry.close());

  const fails = async (client: RegistryClient, code: string, words: RegExp, options: Parameters<RegistryClient['list']>[0] = {}) => {
    await assert.rejects(client.list(options), (e: unknown) => {
      assert.ok(e instanceof RegistryError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, words);
      assert.ok(e.message.includes(new URL(registry.url).host), 'names the registry');
      return true;
    });
  };

  it('says so when it is slow, answers garbage, HTTP 500, a huge page or too many entries', async () => {
    // Only the slow case has the short timeout: the others get the usual one, so that a busy machine never turns them into timeouts.
    registry.failure = 'slow';
    await fails(new RegistryClient(registry.url, { timeoutMs: 300 }), 'registry_timeout', /did not answer within 1 s\./);
    const client = new RegistryClient(registry.url);
    registry.failure = 'garbage';
    await fails(client, 'registry_not_json', /answered something that is not JSON/);
    registry.failure = 'status500';
    await fails(client, 'registry_http_error', /answered HTTP 500/);
    registry.failure = 'huge';
    await fails(new RegistryClient(registry.url), 'registry_too_large', /more than 4 MB/);
    registry.failure = 'tooManyEntries';
    await fails(client, 'registry_invalid_answer', /1000 servers in one page, more than the 200/);
    registry.failure = 'none';
    // A 10 MB description is a huge page too; a search that does not meet it works.
    await fails(new RegistryClient(registry.url), 'registry_too_large', /more than 4 MB/, { search: 'huge-description' });
    assert.ok((await new RegistryClient(registry.url).list({ search: 'weather' })).servers.length > 0);
  });

  it('says so when it cannot be reached, and when the request is cancelled', async () => {
    const gone = await startRegistry([]);
    const url = gone.url;
    await gone.close();
    await assert.rejects(
      new RegistryClient(url).list(),
      (e: unknown) => e instanceof RegistryError && e.code === 'registry_unreachable' && e.message === `The MCP registry ${new URL(url).host} could not be reached.`,
    );
    registry.failure = 'slow';
    const controller = new AbortController();
    const pending = new RegistryClient(registry.url).list({ signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof RegistryError && e.code === 'registry_cancelled');
    registry.failure = 'none';
  });

  it('takes only https registry URLs, or http on this machine', () => {
    assert.equal(registryBase('https://registry.modelcontextprotocol.io/'), 'https://registry.modelcontextprotocol.io');
    assert.equal(registryBase('https://Example.COM/mcp/registry//'), 'https://example.com/mcp/registry');
    assert.equal(registryBase('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    for (const bad of ['http://registry.example.com', 'ftp://x', 'javascript:alert(1)', 'https://u:p@r.example', 'https://r.example/?q=1', 'not a url']) {
      assert.throws(
        () => registryBase(bad),
        (e: unknown) => e instanceof RegistryError && e.code === 'registry_url_invalid' && e.message.startsWith('mcpHub.registry.url'),
      );
    }
  });
});
