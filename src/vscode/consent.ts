/**
 * The editor side of workspace consent (src/core/consent.ts): the answers kept in this workspace's
 * state, and the modal "Run MCP server X from this workspace?" that asks for them, once per entry
 * and again when the entry changes.
 */
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import type { ConsentDecision, ConsentRequest, ConsentStore } from '../core/consent';
import type { McpHub } from '../core/hub';
import { inputReference } from '../core/inputs';
import type { Logger } from '../core/ports';
import { scrubber } from '../core/scrub';

const STATE_KEY = 'mcpHub.workspaceConsent';
/** Answers kept per workspace; the oldest go first (an entry edited many times leaves old hashes). */
const MAX_ANSWERS = 200;

/** Answers in VS Code's workspace state: per workspace, hashes only, never an entry's text. */
export class WorkspaceConsentStore implements ConsentStore {
  constructor(private readonly state: vscode.Memento) {}

  private all(): Record<string, ConsentDecision> {
    const value = this.state.get<unknown>(STATE_KEY);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, ConsentDecision] => e[1] === 'approved' || e[1] === 'declined'));
  }

  get(fingerprint: string): ConsentDecision | undefined {
    return Object.prototype.hasOwnProperty.call(this.all(), fingerprint) ? this.all()[fingerprint] : undefined;
  }

  async set(fingerprint: string, decision: ConsentDecision): Promise<void> {
    const { [fingerprint]: _old, ...rest } = this.all();
    const kept = Object.entries(rest).slice(-(MAX_ANSWERS - 1));
    await this.state.update(STATE_KEY, Object.fromEntries([...kept, [fingerprint, decision]]));
  }
}

/** Names this workspace for the ${input:…} values kept for it: a hash of its file or first folder. */
export function workspaceId(): string | undefined {
  const where = vscode.workspace.workspaceFile ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  return where ? createHash('sha256').update(where.toString()).digest('hex').slice(0, 32) : undefined;
}

/** The modal's words: what the entry runs and which values it would receive. Text from settings, scrubbed. */
export function consentQuestion(request: ConsentRequest): { message: string; detail: string } {
  const where = request.source === 'workspace' ? 'workspace settings' : 'folder settings';
  const what = request.transport === 'stdio' ? `It runs this command on your computer:\n${request.runs}` : `It connects to ${request.runs}.`;
  const values = [...request.env.map((n) => `\${env:${n}}`), ...request.inputs.map(inputReference)];
  const receives =
    values.length > 0
      ? `It receives ${values.join(', ')}.${request.inputs.length > 0 ? ' Inputs are values kept for this workspace, never your own.' : ''}`
      : 'It receives none of your environment variables or inputs.';
  return {
    message: `Run MCP server "${scrubber.message(request.name)}" from this workspace?`,
    detail: `Defined in this folder's ${where}. ${what}\n${receives}\nYou are asked again whenever this entry changes.`,
  };
}

/**
 * Asks before each workspace server first runs: once per entry as it is written, in this window,
 * one modal at a time. Dismissing the modal decides nothing (the row keeps its Approve… button).
 */
export class ConsentPrompter implements vscode.Disposable {
  private readonly asked = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly hub: McpHub,
    private readonly logger: Logger,
  ) {
    this.subscription = hub.onDidChange(({ server }) => {
      if (server?.consent) this.offer(server.name, server.consent.fingerprint);
    });
  }

  /** Asks about every server waiting now (after settings were applied). */
  offerWaiting(): void {
    for (const s of this.hub.servers()) if (s.consent) this.offer(s.name, s.consent.fingerprint);
  }

  private offer(name: string, fingerprint: string): void {
    const key = `${name}\n${fingerprint}`;
    if (this.asked.has(key)) return;
    // A declined entry is not asked about again on its own: its Approve… button asks.
    if (this.hub.server(name)?.consent?.declined) return;
    this.asked.add(key);
    this.queue = this.queue
      .then(async () => void (await this.ask(name, fingerprint)))
      .catch((error: unknown) => this.logger.warn(`asking about ${name} failed: ${scrubber.message(error)}`));
  }

  /** Asks now (the Approve… button and command); false when the server is not waiting. */
  async ask(name: string, fingerprint?: string): Promise<boolean> {
    const request = this.hub.server(name)?.consent;
    if (!request || (fingerprint !== undefined && request.fingerprint !== fingerprint)) return false;
    const { message, detail } = consentQuestion(request);
    const run = 'Run';
    const dontRun = "Don't Run";
    const answer = await vscode.window.showWarningMessage(message, { modal: true, detail }, run, dontRun);
    // The entry may have changed while the modal was open: the answer is for what was shown.
    if (this.hub.server(name)?.consent?.fingerprint !== request.fingerprint) return false;
    if (answer === run) await this.hub.decide(name, 'approved');
    else if (answer === dontRun) await this.hub.decide(name, 'declined');
    return true;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
