/**
 * The SDK's console is ours. The MCP SDK (client and server, 2.4.0) takes no logger: it reports some
 * conditions with console.warn/error/log/info/debug, and some of those lines quote an authorization
 * server's raw answer ("Could not refresh OAuth tokens … Raw body: …", "OAuth "invalid_grant" …
 * Cause: …"), which may echo a refresh token or a code. While a hub runs, a console call made by the
 * SDK goes to the hub's logger through the scrubber and is not printed; every other caller's
 * console is left as it was (the extension host's console is shared with other extensions).
 *
 * The caller is told by the first stack frame past the console method: a file inside an
 * `@modelcontextprotocol` package (plain Node, or a bundle run with source maps), or a file of the
 * bundle this module is in (the extension's bundle, where the SDK is bundled in with the core;
 * nothing else in it writes to the console): this module's own file, or, where the bundle is split
 * (scripts/build.mjs: dist/extension.mjs and its chunks in dist/chunks/), any of its .mjs files, since
 * the SDK's code may sit in another chunk than this module.
 */
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  // "at fn (file:line:col)", or without a name (an ES module's top level) "at file:line:col".
  return frame ? FRAME_FILE.exec(frame.trim().replace(/^at (?:async )?/, ''))?.[1] : undefined;
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

/** A stack frame's file as a path (an ES module's frames name file: URLs). */
function framePath(file: string): string {
  if (!file.startsWith('file:')) return file;
  try {
    return fileURLToPath(file);
  } catch {
    return file;
  }
}

/** This module's file (its first frame is this line): the bundle's, when the core and the SDK are bundled together. */
const OWN_FILE = firstFrameFile(new Error().stack);
const OWN_PATH = OWN_FILE === undefined ? undefined : framePath(OWN_FILE);
/** Where a split bundle keeps its files: the entry's folder (this one, or the parent of chunks/). */
const BUNDLE_DIR = OWN_PATH === undefined ? undefined : basename(dirname(OWN_PATH)) === 'chunks' ? dirname(dirname(OWN_PATH)) : dirname(OWN_PATH);

/** Whether `path` is a file of the split bundle this module is in: an .mjs file in its folder or its chunks/. */
function inOwnBundle(path: string): boolean {
  if (BUNDLE_DIR === undefined || !OWN_PATH?.endsWith('.mjs') || !path.endsWith('.mjs')) return false;
  const dir = dirname(path);
  return dir === BUNDLE_DIR || dir === join(BUNDLE_DIR, 'chunks');
}

function calledBySdk(wrapper: (...args: never[]) => unknown): boolean {
  const file = firstFrameFile(stackAbove(wrapper));
  if (file === undefined) return false;
  const path = framePath(file);
  return SDK_FRAME.test(path) || path === OWN_PATH || inOwnBundle(path);
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
