// The README's settings examples work as written: every entry parses, and every variable in them
// is one MCP Hub knows.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseServers } from '../../src/core/config';
import { parseManagedPolicy } from '../../src/core/managed-policy';
import { parseManagedChoices } from '../../src/core/policies';
import { resolveStatic, variablesIn } from '../../src/core/variables';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');

/** The jsonc blocks of the README, as JSON objects (comments and trailing commas removed). */
function jsoncBlocks(): Record<string, unknown>[] {
  return [...readme.matchAll(/```jsonc\n([\s\S]*?)```/g)].map((m) => {
    const text = m[1]
      .split('\n')
      .map((line) => line.replace(/\s\/\/.*$/, '').replace(/^\s*\/\/.*$/, ''))
      .join('\n')
      .replace(/,(\s*[}\]])/g, '$1');
    return JSON.parse(`{${text}}`) as Record<string, unknown>;
  });
}

/** The json blocks of the README: organisation policies (whole objects) and `"setting": value` lines. */
function jsonBlocks(): string[] {
  return [...readme.matchAll(/^( *)```json\n([\s\S]*?)^\1```/gm)].map((m) => m[2]);
}

describe('README examples of the organisation policy', () => {
  const blocks = jsonBlocks();
  it('has the policy example and the person’s choices', () => assert.ok(blocks.length >= 2));
  for (const [i, text] of blocks.entries()) {
    it(`json block ${i + 1} is a valid policy or setting`, () => {
      if (text.trimStart().startsWith('{')) {
        const policy = parseManagedPolicy(text, 'README');
        assert.equal(policy.kind, 'ok', JSON.stringify(policy));
        return;
      }
      const setting = JSON.parse(`{${text}}`) as Record<string, unknown>;
      assert.deepEqual(Object.keys(setting), ['mcpHub.managedServers']);
      for (const [name, choice] of parseManagedChoices(setting['mcpHub.managedServers'])) assert.equal(choice.problem, undefined, name);
    });
  }
});

describe('README examples', () => {
  const blocks = jsoncBlocks();
  it('has the settings examples', () => assert.ok(blocks.length >= 2));
  for (const [i, block] of blocks.entries()) {
    it(`block ${i + 1} parses and its variables resolve`, () => {
      const servers = (block['mcpHub.servers'] ?? block) as Record<string, unknown>;
      for (const entry of parseServers(servers, 'user')) {
        assert.ok(entry.ok, entry.ok ? '' : entry.error);
        const resolved = resolveStatic(entry.config, { userHome: '/home/me', env: {}, workspaceFolder: '/work', workspaceOpen: true });
        assert.ok(resolved.ok, resolved.ok ? '' : resolved.message);
        for (const name of variablesIn(entry.config).inputs) assert.match(name, /^[A-Za-z0-9_.-]+$/);
      }
    });
  }
});
