// mcpHub.gateway.sessionIdleMinutes: what package.json offers and what the gateway accepts agree,
// and a value outside them falls back to the default with a message that names the setting.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAX_SESSION_IDLE_MINUTES, SESSION_IDLE_MINUTES, sessionIdleSetting } from '../../src/core/gateway/gateway';
import { root } from '../helpers';

interface NumberSetting {
  type: string;
  default: number;
  minimum: number;
  maximum: number;
}

const contributed = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, NumberSetting> } } }).contributes
  .configuration.properties['mcpHub.gateway.sessionIdleMinutes'];

describe('mcpHub.gateway.sessionIdleMinutes', () => {
  it('is contributed with the default and bounds the gateway uses', () => {
    assert.ok(contributed);
    assert.deepEqual(
      { type: contributed.type, default: contributed.default, minimum: contributed.minimum, maximum: contributed.maximum },
      { type: 'number', default: SESSION_IDLE_MINUTES, minimum: 1, maximum: MAX_SESSION_IDLE_MINUTES },
    );
  });

  it('takes any number within the bounds, and the default when unset', () => {
    assert.deepEqual(sessionIdleSetting(undefined), { minutes: 30 });
    assert.deepEqual(sessionIdleSetting(1), { minutes: 1 });
    assert.deepEqual(sessionIdleSetting(2.5), { minutes: 2.5 });
    assert.deepEqual(sessionIdleSetting(MAX_SESSION_IDLE_MINUTES), { minutes: MAX_SESSION_IDLE_MINUTES });
  });

  it('refuses anything else, naming the setting, and keeps the default', () => {
    for (const bad of [0, -5, 0.5, MAX_SESSION_IDLE_MINUTES + 1, Number.NaN, Number.POSITIVE_INFINITY, '30', true, {}]) {
      const { minutes, problem } = sessionIdleSetting(bad);
      assert.equal(minutes, SESSION_IDLE_MINUTES, JSON.stringify(bad));
      assert.equal(problem, `mcpHub.gateway.sessionIdleMinutes must be a number from 1 to ${MAX_SESSION_IDLE_MINUTES}; using ${SESSION_IDLE_MINUTES}.`);
    }
  });
});
