/**
 * The client's HTTP calls to the server's API (docs/api.md): JSON in and out; a failed call
 * throws the server's own `error` text (e.g. `params.height: ...`), or the method, URL and
 * status when the answer carries none.
 */
export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let data: unknown = null;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new Error((data as { error?: string } | null)?.error ?? `${method} ${url}: HTTP ${res.status}`);
  return data as T;
}

