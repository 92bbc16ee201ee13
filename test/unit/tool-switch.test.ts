// The panel's per-tool switches as edits of an entry's tools filter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filterReason, switchTool } from '../../src/core/tool-switch';

describe('per-tool switches', () => {
  it('switches a tool off by adding its exact name to tools.deny, and on again by removing it', () => {
    const off = switchTool({}, 'delete_repo', false);
    assert.deepEqual(off, { filter: { deny: ['delete_repo'] } });
    assert.deepEqual(switchTool({ deny: ['a', 'delete_repo'] }, 'delete_repo', true), { filter: { deny: ['a'] } });
    assert.deepEqual(switchTool({ deny: ['delete_repo'] }, 'delete_repo', true), { filter: {} });
  });

  it('adds to tools.allow when an allow list keeps the tool out', () => {
    assert.deepEqual(switchTool({ allow: ['read_*'] }, 'search', true), { filter: { allow: ['read_*', 'search'] } });
    assert.deepEqual(switchTool({ allow: ['read_*'] }, 'read_file', false), { filter: { allow: ['read_*'], deny: ['read_file'] } });
  });

  it('changes nothing when the tool is already as asked', () => {
    assert.deepEqual(switchTool({ deny: ['x'] }, 'x', false), { filter: { deny: ['x'] } });
    assert.deepEqual(switchTool({}, 'y', true), { filter: {} });
  });

  it("never widens or drops the person's own pattern: it says which one holds the tool back", () => {
    const r = switchTool({ deny: ['delete_*'] }, 'delete_repo', true);
    assert.ok('refused' in r);
    assert.match(r.refused, /matches the pattern "delete_\*" in tools\.deny/);
    assert.ok('refused' in switchTool({}, 'weird*name', false));
  });

  it('says why a tool is filtered out', () => {
    assert.equal(filterReason({ deny: ['rm'] }, 'rm'), 'switched off (tools.deny)');
    assert.equal(filterReason({ deny: ['rm_*'] }, 'rm_all'), 'matches "rm_*" in tools.deny');
    assert.equal(filterReason({ allow: ['read'] }, 'write'), 'not in tools.allow');
    assert.equal(filterReason({ allow: ['read'] }, 'read'), undefined);
  });
});
