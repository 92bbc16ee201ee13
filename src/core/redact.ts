/**
 * Last line of defence for log lines: masks anything that looks like a credential. The code already
 * avoids logging secrets; this catches what a server or library might echo back.
 */
const SECRET_PARAMS = 'access_token|refresh_token|id_token|client_secret|code_verifier|code|client_assertion|assertion|password|api_key|apikey|token';
const SECRET_FIELDS = 'access_token|refresh_token|id_token|client_secret|code_verifier|password|api_key|apiKey|token';

const PATTERNS: Array<[RegExp, string]> = [
  // Authorization header values.
  [/\b(Bearer|Basic|DPoP)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 ***'],
  // URL query or form bodies: ?code=…&state=…
  [new RegExp(`([?&#\\s]|^)(${SECRET_PARAMS})=[^&\\s"'#]+`, 'gi'), '$1$2=***'],
  // JSON bodies: "access_token":"…"
  [new RegExp(`"(${SECRET_FIELDS})"\\s*:\\s*"[^"]*"`, 'g'), '"$1":"***"'],
  // Header dumps: authorization: …
  [/\b(authorization|proxy-authorization|x-api-key|api-key|cookie|set-cookie)(\s*[:=]\s*)[^\n,}]+/gi, '$1$2***'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
