/**
 * A server-sent events reader for Node strings, as the HTML standard's event stream interpretation
 * says (lines end in CR, LF or CRLF; `data` lines join with LF; `id`, `event`, `retry`; comments and
 * unknown fields ignored). The SDK's transport reads the same streams through TextDecoderStream and
 * eventsource-parser's web stream, which cost the gateway's pass-through more than the rest of its work.
 */

export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
  /** The stream's last event id once this event arrived (undefined while none was sent). */
  readonly id: string | undefined;
}

export class SseReader {
  private rest = '';
  private data: string[] = [];
  private type = '';
  private started = false;
  /** The last `id` the stream set. */
  lastEventId: string | undefined;
  /** The last `retry` the stream asked for, in milliseconds. */
  retryMs: number | undefined;

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  /** Feeds decoded text; events are dispatched as their blank line arrives. */
  push(text: string): void {
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let buffer = this.rest + text;
    let start = 0;
    for (;;) {
      const cr = buffer.indexOf('\r', start);
      const lf = buffer.indexOf('\n', start);
      if (cr < 0 && lf < 0) break;
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      // A CR at the end of what came so far may be half of a CRLF: wait for the next chunk.
      if (end === cr && cr === buffer.length - 1) break;
      this.line(buffer.slice(start, end));
      start = end === cr && buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : end + 1;
    }
    buffer = buffer.slice(start);
    this.rest = buffer;
  }

  /** The stream ended: a last event without its blank line is dropped, as the standard says. */
  end(): void {
    if (this.rest.endsWith('\r')) this.line(this.rest.slice(0, -1));
    this.rest = '';
    this.data = [];
    this.type = '';
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 58) return; // ':' a comment (keep-alives)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id') {
      if (!value.includes('\0')) this.lastEventId = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  private dispatch(): void {
    const data = this.data;
    const type = this.type;
    this.data = [];
    this.type = '';
    if (data.length === 0) return;
    this.onEvent({ event: type || 'message', data: data.join('\n'), id: this.lastEventId });
  }
}
