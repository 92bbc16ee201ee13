// The pass-through's server-sent events reader: events as the HTML standard's interpretation gives
// them, whatever the chunks' boundaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseReader, type ServerSentEvent } from '../../src/core/connection/sse-reader';

function read(chunks: string[]): { events: ServerSentEvent[]; reader: SseReader } {
  const events: ServerSentEvent[] = [];
  const reader = new SseReader((e) => events.push(e));
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return { events, reader };
}

describe('SseReader', () => {
  it('reads events split anywhere, with LF, CRLF and CR line ends', () => {
    const stream = 'event: message\r\ndata: {"a":1}\r\n\r\ndata: {"b":2}\n\ndata: x\rdata: y\r\r';
    const whole = read([stream]).events;
    assert.deepEqual(
      whole.map((e) => [e.event, e.data]),
      [
        ['message', '{"a":1}'],
        ['message', '{"b":2}'],
        ['message', 'x\ny'],
      ],
    );
    // Every split point, a CRLF cut between its CR and its LF included, gives the same events.
    for (let i = 1; i < stream.length; i++) assert.deepEqual(read([stream.slice(0, i), stream.slice(i)]).events, whole, `split at ${i}`);
    assert.deepEqual(read([...stream]).events, whole);
  });

  it('keeps the last id and the retry; ignores comments, unknown fields and a last event without its blank line', () => {
    const { events, reader } = read(['\uFEFF: keepalive\n', 'id: 7\nretry: 1500\nfoo: bar\ndata:no-space\n\n', 'id\ndata: gone\n\n', 'data: unfinished\n']);
    assert.deepEqual(events, [
      { event: 'message', data: 'no-space', id: '7' },
      { event: 'message', data: 'gone', id: '' },
    ]);
    assert.equal(reader.retryMs, 1500);
    assert.equal(reader.lastEventId, '');
  });

  it('names other event types, and an event with no data is not dispatched', () => {
    const { events } = read(['event: ping\n\n', 'event: notice\ndata: hi\n\n', 'data:\n\n']);
    assert.deepEqual(
      events.map((e) => [e.event, e.data]),
      [
        ['notice', 'hi'],
        ['message', ''],
      ],
    );
  });
});
