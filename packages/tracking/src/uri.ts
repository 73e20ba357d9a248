/**
 * Credentials in a tracking URI (`http://user:secret@host`, as MLflow's client accepts them): used
 * as basic auth by the REST client, and redacted by every writer (console, warnings, plan.json,
 * worker logs, reports) through `redactUri`.
 */

/** What `redactUri` puts where the user info was; a URI carrying it has no usable credentials. */
export const REDACTED = '***';

// scheme://userinfo@ — userinfo stops at the first '/', '?', '#', '@' or blank
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"]+@/gi;

/**
 * `text` (a URI, or a message that holds URIs) with every URI's user info replaced by `***`, so a
 * password or a token given as user name is never shown or stored. Text without user info is returned as is.
 */
export function redactUri(text: string): string;
export function redactUri(text: string | null): string | null;
export function redactUri(text: string | undefined): string | undefined;
export function redactUri(text: string | null | undefined): string | null | undefined {
  if (typeof text !== 'string') return text;
  return text.replace(USERINFO, `$1${REDACTED}@`);
}

/** The URL without user info (for a git remote recorded in a run tag). */
export function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return redactUri(url); // not a URL (scp-like git@host:org/repo.git carries no secret)
  }
}

export interface UriCredentials {
  /** The URI without user info. */
  uri: string;
  username?: string;
  password?: string;
  /** The user info was a `redactUri` marker: the credentials are to be found elsewhere. */
  redacted: boolean;
}

/** Split `http://user:secret@host/...` into the bare URI and its (percent-decoded) credentials. */
export function splitCredentials(uri: string): UriCredentials {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return { uri, redacted: false };
  }
  if (!u.username && !u.password) return { uri, redacted: false };
  const username = safeDecode(u.username);
  const password = safeDecode(u.password);
  u.username = '';
  u.password = '';
  const bare = u.href.replace(/\/$/, uri.endsWith('/') ? '/' : '');
  if (username === REDACTED || password === REDACTED) return { uri: bare, redacted: true };
  return { uri: bare, username, password: password || undefined, redacted: false };
}

/** Same scheme, host and port (the credentials of one may be used for the other). */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
