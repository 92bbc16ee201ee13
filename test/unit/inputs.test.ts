import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INPUT_PREFIX, InputStore, inputReference } from '../../src/core/inputs';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { scrubber } from '../../src/core/scrub';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('InputStore', () => {
  it('keeps each value under mcpHub.input/<name> and can change and clear it', async () => {
    const secrets = new MemorySecretStore();
    const inputs = new InputStore(secrets);
    assert.equal(await inputs.get('gh.token'), undefined);
    await inputs.set('gh.token', 'first-value');
    assert.deepEqual(secrets.keys(), ['mcpHub.input/gh.token']);
    assert.equal(await secrets.get(INPUT_PREFIX + 'gh.token'), 'first-value');
    assert.equal(await inputs.get('gh.token'), 'first-value');
    await inputs.set('gh.token', 'second-value');
    assert.equal(await inputs.get('gh.token'), 'second-value');
    await inputs.clear('gh.token');
    assert.equal(await inputs.get('gh.token'), undefined);
    assert.deepEqual(secrets.keys(), []);
  });

  it('shares a value between every store on the same secret storage (inputs are global)', async () => {
    const secrets = new MemorySecretStore();
    await new InputStore(secrets).set('shared', 'v1');
    assert.equal(await new InputStore(secrets).get('shared'), 'v1');
  });

  it('refuses an empty value and names an input cannot have', async () => {
    const inputs = new InputStore(new MemorySecretStore());
    await assert.rejects(inputs.set('x', ''), /must not be empty; clear it instead/);
    for (const bad of ['', '../oauth/host', 'a}b', 'a b', 'x'.repeat(65), 'ünï']) {
      await assert.rejects(inputs.get(bad), /input name/, bad);
      await assert.rejects(inputs.set(bad, 'v'), /input name/, bad);
      await assert.rejects(inputs.clear(bad), /input name/, bad);
    }
  });

  it('does not read other secrets through an input name', async () => {
    const secrets = new MemorySecretStore();
    await secrets.store('mcpHub.oauth/example.com', 'oauth-session');
    const inputs = new InputStore(secrets);
    await assert.rejects(inputs.get('../mcpHub.oauth/example.com'), /input name/);
    assert.equal(await inputs.get('mcpHub.oauth'), undefined);
  });

  it('tells listeners which input changed, and only about inputs', async () => {
    const secrets = new MemorySecretStore();
    const inputs = new InputStore(secrets);
    const heard: string[] = [];
    const sub = inputs.onDidChange((name) => heard.push(name));
    await inputs.set('a', '1');
    await secrets.store('mcpHub.oauth/host', '{}');
    await inputs.clear('a');
    await tick();
    assert.deepEqual(heard, ['a', 'a']);
    sub.dispose();
    await inputs.set('b', '2');
    await tick();
    assert.deepEqual(heard, ['a', 'a']);
  });

  it('has the scrubber remember values it stores and reads', async () => {
    const secrets = new MemorySecretStore();
    const inputs = new InputStore(secrets);
    const written = 'input-store-written-Zq81xV';
    await inputs.set('w', written);
    assert.ok(!scrubber.message(`value ${written}`).includes(written));
    // Stored by another window, then read here.
    const read = 'input-store-read-Lp07mK';
    await secrets.store(INPUT_PREFIX + 'r', read);
    assert.equal(await inputs.get('r'), read);
    assert.ok(!scrubber.message(`value ${read}`).includes(read));
  });

  it('finds a free name for a value: the base, the base again for the same value, else a suffix', async () => {
    const inputs = new InputStore(new MemorySecretStore());
    assert.equal(await inputs.freeName('api.clientSecret', 'one'), 'api.clientSecret');
    await inputs.set('api.clientSecret', 'one');
    assert.equal(await inputs.freeName('api.clientSecret', 'one'), 'api.clientSecret');
    assert.equal(await inputs.freeName('api.clientSecret', 'two'), 'api.clientSecret-2');
    await inputs.set('api.clientSecret-2', 'two');
    assert.equal(await inputs.freeName('api.clientSecret', 'three'), 'api.clientSecret-3');
    const long = 'x'.repeat(64);
    await inputs.set(long, 'one');
    const suffixed = await inputs.freeName(long, 'two');
    assert.equal(suffixed, 'x'.repeat(62) + '-2');
    await assert.rejects(inputs.freeName('bad/name', 'v'), /input name/);
  });

  it('writes references the way settings hold them', () => {
    assert.equal(inputReference('api.clientSecret'), '${input:api.clientSecret}');
  });
});
