/**
 * The SDK's console is ours. The MCP SDK (client and server, 2.4.0) takes no logger: it reports some
 * conditions with console.warn/error/log/info/debug, and some of those lines quote an authorization
 * server's raw answer ("Could not refresh OAuth tokens … Raw body: …", "OAuth "invalid_grant" …
 * Cause: …"), which may echo a refresh token or a code. While a hub runs, a console call made by the
 * SDK goes to the hub's logger through the scrubber and is not printed; every other caller's
 * console is left as it was (the extension host's console is shared with other extensions).
 *
 * The caller is told by the first stack frame past the console method: a file inside an
 * `@modelcontextprotocol` package (plain Node, or a bundle run with source maps), or this module's
 * own file (the extension's bundle, where the SDK is bundled in with the core; nothing else in it
 * writes to the console).
 */
import { format } from 'node:util';
import type { Disposable, Logger } from './ports';
import { scrubbedLogger } from './scrub';

const METHODS = ['error', 'warn', 'info', 'log', 'debug'] as const;
type Method = (typeof METHODS)[number];
const LEVEL: Record<Method, keyof Logger> = { error: 'error', warn: 'warn', info: 'info', log: 'info', debug: 'debug' };

const SDK_FRAME = /[\\/]@modelcontextprotocol[\\/]/;
const FRAME_FILE = /\(?((?:file:\/\/)?[^()]*?):\d+:\d+\)?$/;

/** The file of the first frame in `stack` (after its "Error" line), or undefined. */
function firstFrameFile(stack: string | undefined): string | undefined {
  const frame = stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  return frame ? FRAME_FILE.exec(frame.trim())?.[1] : undefined;
}

function stackAbove(fn: (...args: never[]) => unknown): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 4;
  try {
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder, fn);
    return holder.stack;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** This module's file (its first frame is this line): the bundle's, when the core and the SDK are bundled together. */
const OWN_FILE = firstFrameFile(new Error().stack);

function calledBySdk(wrapper: (...args: never[]) => unknown): boolean {
  const file = firstFrameFile(stackAbove(wrapper));
  return file !== undefined && (SDK_FRAME.test(file) || file === OWN_FILE);
}

/** Loggers of the running hubs, newest last; the newest gets the SDK's lines. */
const sinks: Logger[] = [];
let installed = false;

function install(): void {
  installed = true;
  for (const method of METHODS) {
    // Called with whatever `this` the caller used, as the console method itself would be.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- see above.
    const original = console[method];
    const wrapper = function (this: unknown, ...args: unknown[]): void {
      const sink = sinks[sinks.length - 1];
      if (sink && calledBySdk(wrapper)) {
        const line = format(...args);
        sink[LEVEL[method]](line.startsWith('[mcp-sdk]') ? line : `[mcp-sdk] ${line}`);
      } else {
        original.apply(this, args);
      }
    };
    console[method] = wrapper;
  }
}

/**
 * Routes what the SDK writes to the console to `logger`, scrubbed, until disposed. Hubs call it for
 * their lifetime; when several run in one process (tests), the newest one's logger gets the lines.
 * The console methods stay wrapped once wrapped (another wrapper may sit on top of ours): with no
 * hub running, they pass every call through.
 */
export function routeSdkConsole(logger: Logger): Disposable {
  const sink = scrubbedLogger(logger);
  sinks.push(sink);
  if (!installed) install();
  return {
    dispose() {
      const at = sinks.indexOf(sink);
      if (at !== -1) sinks.splice(at, 1);
    },
  };
}
