// The management API, called on the console's own origin with the key the operator pasted.
// The key lives in sessionStorage (gone when the tab closes) and never in a URL.

const KEY_NAME = "lead-events.api-key";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `The API answered ${status}.`);
    this.status = status;
    this.errors = (body && Array.isArray(body.errors) && body.errors) || [];
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_NAME);
}

export function setApiKey(key) {
  sessionStorage.setItem(KEY_NAME, key);
}

export function forgetApiKey() {
  sessionStorage.removeItem(KEY_NAME);
}

let onUnauthorized = () => {};
export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export async function api(method, path, { body, query, key } = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Authorization: `Bearer ${key || apiKey() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, { message: `The API could not be reached (${error.message}).` });
  }
  const text = await answer.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!answer.ok) {
    const error = new ApiError(answer.status, data);
    if (answer.status === 401 && !key) onUnauthorized(error);
    throw error;
  }
  return data;
}

export const path = (strings, ...values) =>
  strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]) : ""), "");

// The local stack's inbox (local/inbox.py), a receiver for postbacks on the console's own origin. It is
// never deployed: elsewhere the path is API Gateway's 404, and the answer is null.
export async function localInbox(after = 0) {
  let answer;
  try {
    answer = await fetch(new URL(`/_inbox?after=${encodeURIComponent(after)}`, window.location.origin));
  } catch {
    return null;
  }
  if (!answer.ok) return null;
  const data = await answer.json().catch(() => null);
  return data && data.inbox === "local" && Array.isArray(data.items) ? data : null;
}
