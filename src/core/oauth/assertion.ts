/**
 * Workload identity (auth.grantType "jwt-bearer"): the JWT a workload's platform mints for it, read
 * afresh for every token request, since projected service-account tokens and OIDC token files are
 * rotated under the same path. Three sources: a value (typically "${env:NAME}", resolved with the
 * settings), a file, or a command's output (e.g. a cloud CLI printing an identity token). What is
 * read is handed to the scrubber before anything else sees it, and never appears in a message.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import type { AssertionSource } from '../config';
import { scrubber } from '../scrub';
import { OAuthFlowError } from './errors';

/** A JWT is three base64url parts; anything else is not sent. */
const JWT = /^[\w-]+\.[\w-]+\.[\w-]*$/;
const MAX_BYTES = 64 * 1024;
const COMMAND_TIMEOUT_MS = 30_000;

/** Where an assertion comes from, for messages: the kind and the path or program, never the value. */
export function describeSource(source: AssertionSource): string {
  if ('file' in source) return `the token file ${source.file}`;
  if ('command' in source) return `the output of ${source.command}`;
  return 'auth.assertion';
}

/** The workload's JWT, read now. Throws an OAuthFlowError naming the source when it cannot be had. */
export async function readAssertion(source: AssertionSource): Promise<string> {
  const raw = await read(source);
  const token = raw.trim();
  scrubber.remember(token);
  if (!token) throw new OAuthFlowError('assertion_unavailable', `The workload token from ${describeSource(source)} is empty.`);
  if (!JWT.test(token)) throw new OAuthFlowError('assertion_unavailable', `The workload token from ${describeSource(source)} is not a JWT.`);
  return token;
}

async function read(source: AssertionSource): Promise<string> {
  if ('value' in source) return source.value;
  if ('file' in source) {
    try {
      const info = await stat(source.file);
      if (!info.isFile()) throw new OAuthFlowError('assertion_unavailable', `${describeSource(source)} is not a file.`);
      if (info.size > MAX_BYTES) throw new OAuthFlowError('assertion_unavailable', `${describeSource(source)} is larger than a token can be.`);
      return await readFile(source.file, 'utf8');
    } catch (error) {
      if (error instanceof OAuthFlowError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new OAuthFlowError('assertion_unavailable', `${describeSource(source)} cannot be read${code ? ` (${code})` : ''}.`);
    }
  }
  return new Promise((resolve, reject) => {
    execFile(source.command, [...source.args], { timeout: COMMAND_TIMEOUT_MS, maxBuffer: MAX_BYTES, windowsHide: true }, (error, stdout) => {
      if (!error) return resolve(stdout);
      // Whatever the command printed may hold the token: it is not repeated.
      scrubber.remember(String(stdout ?? '').trim());
      const why = (error as { killed?: boolean }).killed ? 'timed out' : typeof error.code === 'number' ? `exited with ${error.code}` : String(error.code ?? 'failed');
      reject(new OAuthFlowError('assertion_unavailable', `${describeSource(source)} did not give a token (${why}).`));
    });
  });
}
