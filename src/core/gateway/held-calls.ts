/**
 * Tool calls from 2026-07-28 gateway clients whose server asks a question mid-call. Such a client
 * cannot be sent a request (that revision has none from server to client): the round ends with an
 * `input_required` result that carries the questions and an opaque `requestState`, and the client
 * answers in a retry of the call. Meanwhile the upstream call is held here, its question waiting for
 * the answer, whichever era the upstream server speaks.
 *
 * `requestState` is a 192-bit random handle to a call held in memory, nothing more: it is looked up,
 * never decoded, and names the server and tool it belongs to. A held call that no retry picks up
 * within HOLD_MS is cancelled upstream; at most MAX_HELD are held at once (the oldest goes first).
 */
import { randomBytes } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { isRecord } from '../../protocol';
import { systemClock, type Clock, type ElicitAnswer, type ElicitParams, type SampleAnswer, type SampleParams, type TimerHandle } from '../ports';

/** How long a held call waits for its client's retry. A person may be filling in a form. */
export const HOLD_MS = 10 * 60_000;
export const MAX_HELD = 64;

export type InputRequest = { method: 'elicitation/create'; params: ElicitParams } | { method: 'sampling/createMessage'; params: SampleParams };

export interface InputRequiredResult {
  [key: string]: unknown;
  resultType: 'input_required';
  inputRequests: Record<string, InputRequest>;
  requestState: string;
}

interface Question {
  readonly key: string;
  readonly request: InputRequest;
  readonly answer: (response: unknown) => void;
}

/** Runs the upstream call for `held` (whose elicit/sample answer its server's questions); `signal` aborts it. */
export type Upstream = (signal: AbortSignal, held: HeldCall) => Promise<CallToolResult>;

export interface Progress {
  progress: number;
  total?: number;
  message?: string;
}

export class HeldCall {
  private readonly abort = new AbortController();
  private readonly result: Promise<CallToolResult>;
  private readonly asked: Question[] = [];
  private readonly sent = new Map<string, Question>();
  private wake: (() => void) | undefined;
  private counter = 0;
  private settled = false;
  /** Where the call's progress goes: the round under way, when its request asked for progress. */
  progress: ((p: Progress) => void) | undefined;

  constructor(
    readonly id: string,
    readonly server: string,
    readonly tool: string,
    upstream: Upstream,
  ) {
    this.result = upstream(this.abort.signal, this).finally(() => {
      this.settled = true;
      this.wake?.();
    });
    // A rejected result is read by the round that takes it; this keeps Node from calling it unhandled meanwhile.
    this.result.catch(() => undefined);
  }

  /** The server's elicitation, to be answered by the client in its next retry. */
  elicit(params: ElicitParams): Promise<ElicitAnswer> {
    return this.ask({ method: 'elicitation/create', params }, (r) => (isElicitAnswer(r) ? r : { action: 'cancel' }));
  }

  /** The server's sampling request, likewise; an answer that is not a completion is refused. */
  sample(params: SampleParams): Promise<SampleAnswer> {
    return this.ask({ method: 'sampling/createMessage', params }, (r) => {
      if (isSampleAnswer(r)) return r;
      throw new Error('The client did not answer the sampling request.');
    });
  }

  /** The client's retry: its answers to the questions it was sent (an unanswered one counts as cancelled). */
  answer(responses: Record<string, unknown>): void {
    for (const [key, question] of this.sent) question.answer(responses[key]);
    this.sent.clear();
  }

  /**
   * One round: the call's result when it ends first, else the questions asked meanwhile. Aborting
   * `signal` (the client cancelled this round) cancels the call upstream.
   */
  async round(signal: AbortSignal): Promise<{ done: CallToolResult } | { ask: Record<string, InputRequest> }> {
    const onAbort = () => this.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!this.settled && this.asked.length === 0 && !signal.aborted) {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      this.wake = undefined;
      this.progress = undefined;
      if (this.settled || signal.aborted) return { done: await this.result };
      const ask: Record<string, InputRequest> = {};
      for (const question of this.asked.splice(0)) {
        ask[question.key] = question.request;
        this.sent.set(question.key, question);
      }
      return { ask };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Cancels the call upstream; its open questions are answered as cancelled. */
  cancel(): void {
    this.answer({});
    for (const question of this.asked.splice(0)) question.answer(undefined);
    this.abort.abort(new Error('The client did not come back to this call.'));
    this.wake?.();
  }

  private ask<T>(request: InputRequest, accept: (response: unknown) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const key = `q${++this.counter}`;
      this.asked.push({
        key,
        request,
        answer: (response) => {
          try {
            resolve(accept(response));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
      });
      this.wake?.();
    });
  }
}

export class HeldCalls {
  private readonly held = new Map<string, { call: HeldCall; timer: TimerHandle | undefined }>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** A new call, held until its result is taken. */
  start(server: string, tool: string, upstream: Upstream): HeldCall {
    if (this.held.size >= MAX_HELD) {
      const oldest = this.held.keys().next().value;
      if (oldest !== undefined) this.drop(oldest)?.cancel();
    }
    const call = new HeldCall(randomBytes(24).toString('base64url'), server, tool, upstream);
    this.held.set(call.id, { call, timer: undefined });
    return call;
  }

  /** The call a retry's `requestState` names, if it is still held and belongs to this server and tool. */
  resume(requestState: string, server: string, tool: string): HeldCall | undefined {
    const entry = this.held.get(requestState);
    if (!entry || entry.call.server !== server || entry.call.tool !== tool) return undefined;
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    return entry.call;
  }

  /**
   * One round of `call`, as the client receives it: the result (the call is released), or the
   * questions with the call's handle as `requestState` (the call waits HOLD_MS for the retry).
   */
  async round(call: HeldCall, signal: AbortSignal): Promise<CallToolResult | InputRequiredResult> {
    let outcome: Awaited<ReturnType<HeldCall['round']>>;
    try {
      outcome = await call.round(signal);
    } catch (error) {
      this.drop(call.id);
      throw error;
    }
    if ('done' in outcome) {
      this.drop(call.id);
      return outcome.done;
    }
    const entry = this.held.get(call.id);
    if (entry) entry.timer = this.clock.setTimeout(() => this.drop(call.id)?.cancel(), HOLD_MS);
    return { resultType: 'input_required', inputRequests: outcome.ask, requestState: call.id };
  }

  get size(): number {
    return this.held.size;
  }

  /** Cancels every held call (the gateway is stopping). */
  clear(): void {
    for (const id of [...this.held.keys()]) this.drop(id)?.cancel();
  }

  private drop(id: string): HeldCall | undefined {
    const entry = this.held.get(id);
    if (!entry) return undefined;
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    this.held.delete(id);
    return entry.call;
  }
}

function isElicitAnswer(value: unknown): value is ElicitAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const { action, content } = value as { action?: unknown; content?: unknown };
  if (action !== 'accept' && action !== 'decline' && action !== 'cancel') return false;
  return content === undefined || isRecord(content);
}

function isSampleAnswer(value: unknown): value is SampleAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const { role, content, model } = value as { role?: unknown; content?: unknown; model?: unknown };
  return (role === 'assistant' || role === 'user') && typeof model === 'string' && typeof content === 'object' && content !== null;
}
