// Held calls: a 2026-07-28 gateway client answers its server's questions in retries of the call.
// The upstream call here is a plain function that asks and awaits, as the hub's call would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { HeldCalls, HOLD_MS, MAX_HELD, type HeldCall, type InputRequiredResult } from '../../src/core/gateway/held-calls';
import { FakeClock } from '../helpers';

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const form = { message: 'Your name?', requestedSchema: { type: 'object' as const, properties: { name: { type: 'string' as const } } } };
const sampling = { messages: [{ role: 'user' as const, content: { type: 'text' as const, text: 'Summarize' } }], maxTokens: 10 };
const never = () => new AbortController().signal;

function asked(outcome: CallToolResult | InputRequiredResult): InputRequiredResult {
  assert.equal(outcome.resultType, 'input_required', 'expected questions, got a result');
  return outcome as InputRequiredResult;
}

describe('held calls (input_required for 2026-07-28 gateway clients)', () => {
  it('sends the question, takes the answer from the retry, and returns the result', async () => {
    const held = new HeldCalls(new FakeClock());
    const call = held.start('srv', 'ask', async (_signal, h) => {
      const answer = await h.elicit(form);
      return text(answer.action === 'accept' ? `Hello, ${String(answer.content?.name)}` : answer.action);
    });
    const first = asked(await held.round(call, never()));
    assert.deepEqual(Object.values(first.inputRequests), [{ method: 'elicitation/create', params: form }]);
    assert.match(first.requestState, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(held.size, 1);

    const resumed = held.resume(first.requestState, 'srv', 'ask');
    assert.equal(resumed, call);
    resumed.answer({ [Object.keys(first.inputRequests)[0]]: { action: 'accept', content: { name: 'Ada' } } });
    assert.deepEqual(await held.round(resumed, never()), text('Hello, Ada'));
    assert.equal(held.size, 0, 'a finished call is released');
    assert.equal(held.resume(first.requestState, 'srv', 'ask'), undefined);
  });

  it('asks one question after another (elicitation, then sampling) in separate rounds', async () => {
    const held = new HeldCalls(new FakeClock());
    const call = held.start('srv', 'both', async (_signal, h) => {
      const who = await h.elicit(form);
      const summary = await h.sample(sampling);
      return text(`${who.action}/${summary.content.type === 'text' ? summary.content.text : '?'}`);
    });
    const one = asked(await held.round(call, never()));
    call.answer({ [Object.keys(one.inputRequests)[0]]: { action: 'decline' } });
    const two = asked(await held.round(call, never()));
    assert.equal(two.requestState, one.requestState, 'the same call keeps its handle');
    const [key, request] = Object.entries(two.inputRequests)[0];
    assert.equal(request.method, 'sampling/createMessage');
    call.answer({ [key]: { role: 'assistant', model: 'm', content: { type: 'text', text: 'short' } } });
    assert.deepEqual(await held.round(call, never()), text('decline/short'));
  });

  it('counts a question the retry leaves unanswered as cancelled, and refuses a malformed completion', async () => {
    const held = new HeldCalls(new FakeClock());
    const call = held.start('srv', 'ask', async (_signal, h) => {
      const answer = await h.elicit(form);
      const sampled = await h.sample(sampling).then(
        () => 'sampled',
        (e: Error) => e.message,
      );
      return text(`${answer.action}; ${sampled}`);
    });
    asked(await held.round(call, never()));
    call.answer({ unrelated: { action: 'accept' } });
    const second = asked(await held.round(call, never()));
    call.answer({ [Object.keys(second.inputRequests)[0]]: { role: 'assistant', content: 'not a content block' } });
    assert.deepEqual(await held.round(call, never()), text('cancel; The client did not answer the sampling request.'));
  });

  it('cancels a call upstream when no retry comes within the hold time', async () => {
    const clock = new FakeClock();
    const held = new HeldCalls(clock);
    let aborted = false;
    const call = held.start('srv', 'ask', (signal, h) => {
      signal.addEventListener('abort', () => (aborted = true));
      return h.elicit(form).then((a) => text(a.action));
    });
    const first = asked(await held.round(call, never()));
    clock.advance(HOLD_MS - 1);
    assert.equal(aborted, false);
    clock.advance(1);
    assert.equal(aborted, true);
    assert.equal(held.size, 0);
    assert.equal(held.resume(first.requestState, 'srv', 'ask'), undefined);
  });

  it('resumes a call only for the server and tool it belongs to', async () => {
    const held = new HeldCalls(new FakeClock());
    const call = held.start('srv', 'ask', (_s, h) => h.elicit(form).then((a) => text(a.action)));
    const { requestState } = asked(await held.round(call, never()));
    assert.equal(held.resume(requestState, 'other', 'ask'), undefined);
    assert.equal(held.resume(requestState, 'srv', 'other'), undefined);
    assert.equal(held.resume('not-a-handle', 'srv', 'ask'), undefined);
    held.clear();
  });

  it('cancels the call upstream when the client cancels a round, and holds at most MAX_HELD calls', async () => {
    const held = new HeldCalls(new FakeClock());
    const upstreamAborts: string[] = [];
    const start = (id: string): HeldCall =>
      held.start('srv', id, (signal) => {
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            upstreamAborts.push(id);
            reject(new Error('aborted'));
          }),
        );
      });
    const round = new AbortController();
    const pending = held.round(start('cancelled'), round.signal);
    round.abort();
    await assert.rejects(pending, /aborted/);
    assert.deepEqual(upstreamAborts, ['cancelled']);
    assert.equal(held.size, 0);

    for (let i = 0; i <= MAX_HELD; i++) start(`c${i}`);
    assert.equal(held.size, MAX_HELD);
    assert.deepEqual(upstreamAborts, ['cancelled', 'c0'], 'the oldest call made room');
    held.clear();
    assert.equal(held.size, 0);
    assert.equal(upstreamAborts.length, MAX_HELD + 2, 'stopping the gateway cancels every held call');
  });
});
