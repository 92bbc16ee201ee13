/**
 * An organisation policy on this machine, where MCP Hub really reads it: the fixed path of the OS
 * (`/etc/mcp-hub/policy.json` on Linux), owned by root and writable by no one else, as an
 * administrator installs it. There is no other way to give the extension a policy, so the e2e step
 * needs root (CI runs as root); it never touches a policy it did not write, and removes its own.
 * Likewise VS Code's own policy file, `/etc/vscode/policy.json`, which code-server does not apply:
 * the suite puts MCP Hub's policy there too, to show it has no effect in code-server.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { managedPolicyPath } from '../../src/core/managed-policy';

export const MACHINE_POLICY = managedPolicyPath(process.platform);
/** What marks a policy as this harness's own (left behind by a run that was killed). */
const MARK = 'e2e: written by the MCP Hub e2e suite, removed after it';

/** VS Code's policy file on Linux (desktop VS Code 1.106+ reads it; code-server does not). */
export const VSCODE_POLICY_FILE = '/etc/vscode/policy.json';
const VSCODE_MARK = 'McpHubE2E';

/** Puts `policies` (VS Code policy names to values) into VS Code's policy file, unless someone else's file is there. */
export function writeVSCodePolicyFile(policies: Record<string, string>): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  if (existsSync(VSCODE_POLICY_FILE) && !vscodeFileIsOurs()) return false;
  mkdirSync(dirname(VSCODE_POLICY_FILE), { recursive: true, mode: 0o755 });
  writeFileSync(VSCODE_POLICY_FILE, JSON.stringify({ [VSCODE_MARK]: MARK, ...policies }, null, 2), { mode: 0o644 });
  return true;
}

export function removeVSCodePolicyFile(): void {
  if (!existsSync(VSCODE_POLICY_FILE) || !vscodeFileIsOurs()) return;
  rmSync(VSCODE_POLICY_FILE, { force: true });
  try {
    rmdirSync(dirname(VSCODE_POLICY_FILE));
  } catch {
    // Not empty, or not ours to remove.
  }
}

function vscodeFileIsOurs(): boolean {
  try {
    return (JSON.parse(readFileSync(VSCODE_POLICY_FILE, 'utf8')) as Record<string, unknown>)[VSCODE_MARK] === MARK;
  } catch {
    return false;
  }
}

/** Why the step cannot run here, or false when it can. */
export function machinePolicySkip(): string | false {
  if (process.platform !== 'linux') return 'the e2e policy step writes the Linux path only';
  if (process.getuid?.() !== 0) return `writing ${MACHINE_POLICY} needs root (as in CI)`;
  if (existsSync(MACHINE_POLICY) && !ours()) return `${MACHINE_POLICY} exists and is not the suite's own: an administrator's policy is left alone`;
  return false;
}

function ours(): boolean {
  try {
    return (JSON.parse(readFileSync(MACHINE_POLICY, 'utf8')) as { $schema?: unknown }).$schema === MARK;
  } catch {
    return false;
  }
}

let createdFolder = false;

/** Installs `policy` as an administrator would: root's, mode 0644, in a folder of mode 0755 (written whole, then renamed into place). */
export function writeMachinePolicy(policy: Record<string, unknown>): void {
  const folder = dirname(MACHINE_POLICY);
  if (!existsSync(folder)) {
    mkdirSync(folder, { mode: 0o755 });
    createdFolder = true;
  }
  chmodSync(folder, 0o755);
  const next = `${MACHINE_POLICY}.e2e-next`;
  writeFileSync(next, JSON.stringify({ $schema: MARK, ...policy }, null, 2), { mode: 0o644 });
  chmodSync(next, 0o644);
  renameSync(next, MACHINE_POLICY);
}

/** Removes the suite's policy (and the folder, when the suite made it); never anyone else's. */
export function removeMachinePolicy(): void {
  if (!existsSync(MACHINE_POLICY) || !ours()) return;
  rmSync(MACHINE_POLICY, { force: true });
  if (createdFolder) {
    try {
      rmdirSync(dirname(MACHINE_POLICY));
    } catch {
      // Not empty: someone else's files are there.
    }
    createdFolder = false;
  }
}
