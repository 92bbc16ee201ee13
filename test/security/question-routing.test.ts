// Whose question is it? A server's elicitation or sampling request during a tool call belongs to
// the party that made that call. Two gateway agents X and Y each keep a call open on the same
// server, and the person runs the same tool from the editor (hub.callTool with the editor's own
// handler); every question is raised only once all the calls are open, so "the last caller" is never
// the owner by luck. Both eras of gateway client (classic: requests of our own on the client's
// stream; 2026-07-28: input_required in retries), both eras of upstream server (a classic server
// asking on the call's own stream; a 2026-07-28 server answering input_required). A question the
// server does not tie to any call (sent on its standalone stream) goes to the person, never to an
// agent. Every question is tagged with the party it belongs to; a question answered by anyone else
// counts as misrouted, and the count must be 0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { acceptedContent, inputRequired } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { McpGateway } from '../../src/core/gateway/gateway';
import { InputRouter } from '../../src/core/gateway/input-router';
import type { McpHub } from '../../src/core/hub';
import type { ElicitAnswer, ElicitationHandler, ElicitParams } from '../../src/core/ports';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { startModernHttpServer, type ModernHttpFixture } from '../fixtures/modern-http-server';
import { createHub, entries, MemoryLogger, stdioEntry, waitForKind } from '../helpers';

const TOKEN = 'gw-token-routing-0123456789abcdef0123456789';
const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

/** Every question a party was put, as `<owner> -> <answerer>`. */
const seen: Array<{ owner: string; answerer: string }> = [];
const misrouted = () => seen.filter((q) => q.owner !== q.answerer);
/**
 * The owner is the question's last word: "Approve a transfer of $500 for <owner>". A question that
 * names no one (the stdio fixture's "Who should be greeted?") comes from a server that cannot tie it
 * to a call: it is the person's.
 */
const ownerOf = (message: string) => /for (\S+)$/.exec(message)?.[1] ?? 'person';
/** A call's gate is `<owner>#<call>`; its question names only the owner. */
const question = (who: string) => `Approve a transfer of $500 for ${who.split('#')[0]}`;

/** Calls that reached the server and wait for the test to let them ask. */
class Gates {
  private readonly arrived = new Map<string, () => void>();
  private readonly arrivals = new Map<string, Promise<void>>();
  private readonly opened = new Map<string, () => void>();
  private readonly openings = new Map<string, Promise<void>>();

  private slot(who: string): void {
    if (this.arrivals.has(who)) return;
    this.arrivals.set(who, new Promise((resolve) => this.arrived.set(who, resolve)));
    this.openings.set(who, new Promise((resolve) => this.opened.set(who, resolve)));
  }
  /** The server side: the call for `who` is open; resolves when the test lets it ask. */
  reach(who: string): Promise<void> {
    this.slot(who);
    this.arrived.get(who)!();
    return this.openings.get(who)!;
  }
  /** The test side: resolves once the call for `who` is open at the server. */
  open(who: string): Promise<void> {
    this.slot(who);
    return this.arrivals.get(who)!;
  }
  release(who: string): void {
    this.slot(who);
    this.opened.get(who)!();
  }
}

const gates = new Gates();
const schema = z.object({ by: z.string() });

/** The editor's own handler: the person answers. */
class Person implements ElicitationHandler {
  readonly modes = { form: true, url: true };
  elicit(_server: string, params: ElicitParams): Promise<ElicitAnswer> {
    seen.push({ owner: ownerOf(params.message), answerer: 'person' });
    return Promise.resolve({ action: 'accept', content: { by: 'person', name: 'person' } });
  }
}

describe('question routing: a question goes only to the party whose call it is', () => {
  const logger = new MemoryLogger();
  const router = new InputRouter(logger, new Person());
  let classic: HttpFixture;
  let modern: ModernHttpFixture;
  let hub: McpHub;
  let gateway: McpGateway;
  const clients: Client[] = [];

  before(async () => {
    classic = await startHttpServer({
      name: 'bank',
      tools: (server) => {
        server.registerTool('approve', { description: 'Asks for approval on the call it belongs to', inputSchema: { who: z.string() } }, async ({ who }, extra) => {
          await gates.reach(who);
          const answer = await server.server.elicitInput(
            { message: question(who), requestedSchema: { type: 'object', properties: { by: { type: 'string' } }, required: ['by'] } },
            { relatedRequestId: extra.requestId },
          );
          return { content: [{ type: 'text', text: `${who}: ${answer.action} by ${String(answer.content?.by)}` }] };
        });
        server.registerTool('summarize', { description: "Asks the caller's model", inputSchema: { who: z.string() } }, async ({ who }, extra) => {
          await gates.reach(who);
          const answer = await server.server.createMessage(
            { messages: [{ role: 'user', content: { type: 'text', text: question(who) } }], maxTokens: 10 },
            { relatedRequestId: extra.requestId },
          );
          return { content: [{ type: 'text', text: `${who}: sampled by ${answer.model}` }] };
        });
        // Asks on the session's standalone stream: the question names no call.
        server.registerTool('approve_untied', { description: 'Asks without tying the question to the call', inputSchema: { who: z.string() } }, async ({ who }) => {
          await gates.reach(who);
          const answer = await server.server.elicitInput({
            message: question('person'),
            requestedSchema: { type: 'object', properties: { by: { type: 'string' } }, required: ['by'] },
          });
          return { content: [{ type: 'text', text: `${who}: ${answer.action} by ${String(answer.content?.by)}` }] };
        });
      },
    });
    modern = await startModernHttpServer({
      name: 'bank2026',
      tools: (server) => {
        server.registerTool('approve', { description: 'Asks for approval (input_required)', inputSchema: z.object({ who: z.string() }) }, async ({ who }, ctx) => {
          const accepted = acceptedContent(ctx.mcpReq.inputResponses, 'approve', schema);
          if (accepted) return { content: [{ type: 'text', text: `${who}: accept by ${accepted.by}` }] };
          await gates.reach(who);
          return inputRequired({ inputRequests: { approve: inputRequired.elicit({ message: question(who), requestedSchema: schema }) } });
        });
      },
    });
    hub = createHub({ logger, elicitation: router, sampling: router });
    await hub.applyConfig(entries({ bank: { url: classic.url }, bank2026: { url: modern.url }, local: stdioEntry() }), { trusted: true });
    await waitForKind(hub, 'local', 'running');
    await waitForKind(hub, 'bank', 'running');
    await waitForKind(hub, 'bank2026', 'running');
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger, questions: router });
    await gateway.start();
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await gateway.stop();
    await hub.dispose();
    await classic.close();
    await modern.close();
  });

  /** A gateway agent that answers every question it is put, in its own name. */
  const agent = async (name: string, era: 'legacy' | 'modern') => {
    const c = new Client(
      { name, version: '0' },
      { versionNegotiation: era === 'legacy' ? { mode: 'legacy' } : { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} }, sampling: {} } },
    );
    c.setRequestHandler('elicitation/create', (request) => {
      seen.push({ owner: ownerOf(request.params.message), answerer: name });
      return { action: 'accept', content: { by: name } };
    });
    c.setRequestHandler('sampling/createMessage', (request) => {
      const first = request.params.messages[0]?.content;
      seen.push({ owner: ownerOf(first && 'text' in first ? String(first.text) : '?'), answerer: name });
      return { role: 'assistant', model: name, content: { type: 'text', text: 'ok' } };
    });
    await c.connect(new StreamableHTTPClientTransport(new URL(gateway.url()), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    clients.push(c);
    return c;
  };

  for (const era of ['legacy', 'modern'] as const) {
    for (const server of ['bank', 'bank2026'] as const) {
      it(`${era} agents on a ${server === 'bank' ? 'classic' : '2026-07-28'} server: X's question reaches X while Y's call is the latest, and the person's reaches the person`, async () => {
        const before = seen.length;
        const x = await agent(`X-${era}-${server}`, era);
        const y = await agent(`Y-${era}-${server}`, era);
        const person = `person#${era}-${server}`;
        // X calls first, then Y, then the person: the latest caller owns none of the earlier questions.
        const xCall = x.callTool({ name: `${server}__approve`, arguments: { who: `X-${era}-${server}` } });
        await gates.open(`X-${era}-${server}`);
        const yCall = y.callTool({ name: `${server}__approve`, arguments: { who: `Y-${era}-${server}` } });
        await gates.open(`Y-${era}-${server}`);
        gates.release(`X-${era}-${server}`);
        assert.equal(text(await xCall), `X-${era}-${server}: accept by X-${era}-${server}`);
        // The person runs the tool in the editor while Y's call is still open.
        const personCall = hub.callTool(server, 'approve', { who: person });
        await gates.open(person);
        gates.release(person);
        assert.equal(text(await personCall), `${person}: accept by person`);
        gates.release(`Y-${era}-${server}`);
        assert.equal(text(await yCall), `Y-${era}-${server}: accept by Y-${era}-${server}`);
        assert.equal(seen.length - before, 3, JSON.stringify(seen.slice(before)));
        assert.deepEqual(misrouted(), []);
      });
    }

    it(`${era} agents: sampling requests go to the caller's own model`, async () => {
      const before = seen.length;
      const x = await agent(`X-${era}-sampling`, era);
      const y = await agent(`Y-${era}-sampling`, era);
      const xCall = x.callTool({ name: 'bank__summarize', arguments: { who: `X-${era}-sampling` } });
      await gates.open(`X-${era}-sampling`);
      const yCall = y.callTool({ name: 'bank__summarize', arguments: { who: `Y-${era}-sampling` } });
      await gates.open(`Y-${era}-sampling`);
      gates.release(`X-${era}-sampling`);
      assert.equal(text(await xCall), `X-${era}-sampling: sampled by X-${era}-sampling`);
      gates.release(`Y-${era}-sampling`);
      assert.equal(text(await yCall), `Y-${era}-sampling: sampled by Y-${era}-sampling`);
      assert.equal(seen.length - before, 2);
      assert.deepEqual(misrouted(), []);
    });

    it(`${era} agents: a question the server ties to no call goes to the person, never to an agent with a call open`, async () => {
      const before = seen.length;
      const x = await agent(`X-${era}-untied`, era);
      // X's own call stays open on the same server, so "the client with a call open" is X alone.
      const hold = x.callTool({ name: 'bank__approve', arguments: { who: `X-${era}-untied#hold` } });
      await gates.open(`X-${era}-untied#hold`);
      const untied = x.callTool({ name: 'bank__approve_untied', arguments: { who: `X-${era}-untied#untied` } });
      await gates.open(`X-${era}-untied#untied`);
      gates.release(`X-${era}-untied#untied`);
      assert.equal(text(await untied), `X-${era}-untied#untied: accept by person`);
      gates.release(`X-${era}-untied#hold`);
      assert.equal(text(await hold), `X-${era}-untied#hold: accept by X-${era}-untied`);
      assert.deepEqual(
        seen.slice(before).map((q) => q.answerer),
        ['person', `X-${era}-untied`],
      );
      assert.deepEqual(misrouted(), []);
    });

    it(`${era} agents: a stdio server's question (there is no stream to tie it to a call) goes to the person`, async () => {
      const before = seen.length;
      const x = await agent(`X-${era}-stdio`, era);
      const hold = x.callTool({ name: 'bank__approve', arguments: { who: `X-${era}-stdio#hold` } });
      await gates.open(`X-${era}-stdio#hold`);
      assert.equal(text(await x.callTool({ name: 'local__greet_person', arguments: {} })), 'Hello, person!');
      gates.release(`X-${era}-stdio#hold`);
      assert.equal(text(await hold), `X-${era}-stdio#hold: accept by X-${era}-stdio`);
      assert.deepEqual(
        seen.slice(before).map((q) => q.answerer),
        ['person', `X-${era}-stdio`],
      );
      assert.deepEqual(misrouted(), []);
    });
  }

  it('figures: questions misrouted = 0', () => {
    assert.equal(seen.length, 24, `${seen.length} questions`);
    console.log(`security[question-routing]: questions from concurrent callers ${seen.length}, misrouted ${misrouted().length}`);
    assert.deepEqual(misrouted(), []);
  });
});
