/**
 * The one HTTP client of the app: same-origin JSON, CSRF for the session, bearer tokens for
 * the portal, RFC 9457 problem details turned into `ApiError` with per-field messages.
 */

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: Record<string, string[]>;
  [key: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.status = problem.status;
    this.problem = problem;
  }

  /** Messages for one field path, e.g. `sessions[1].items[3].reps`. */
  field(path: string): string[] {
    return this.problem.errors?.[path] ?? [];
  }
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  headers?: Record<string, string>;
  /** Bearer token (the patient portal); otherwise the session cookie and CSRF are used. */
  token?: string;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

function csrfToken(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]');
  return meta?.content ?? "";
}

function buildUrl(path: string, query?: RequestOptions["query"]): string {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
}

/** A fresh Idempotency-Key for a create that may be retried. */
export function newIdempotencyKey(): string {
  // randomUUID exists only in secure contexts; a phone on a plain-HTTP LAN address has
  // getRandomValues all the same.
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const method = options.method ?? "GET";
  const headers: Record<string, string> = {
    Accept: "application/json",
    // The server's messages (field errors) in the language chosen in the app.
    "Accept-Language": document.documentElement.lang || "en",
    ...options.headers,
  };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  else if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError({
      type: "urn:careboard:problem:network",
      title: "Network error",
      status: 0,
      detail: "The server could not be reached. Check the connection and try again.",
      errors: {},
    });
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const problem: Problem =
      data && typeof data === "object" && "status" in data
        ? (data as Problem)
        : {
            type: "about:blank",
            title: response.statusText,
            status: response.status,
            detail: response.statusText,
            errors: {},
          };
    problem.errors ??= {};
    throw new ApiError(problem);
  }
  return { data: data as T, status: response.status, headers: response.headers };
}

export const api = {
  get: <T>(path: string, options: Omit<RequestOptions, "method" | "body"> = {}) =>
    request<T>(path, { ...options, method: "GET" }).then((r) => r.data),
  post: <T>(path: string, body?: unknown, options: Omit<RequestOptions, "method" | "body"> = {}) =>
    request<T>(path, { ...options, method: "POST", body }).then((r) => r.data),
  put: <T>(path: string, body?: unknown, options: Omit<RequestOptions, "method" | "body"> = {}) =>
    request<T>(path, { ...options, method: "PUT", body }).then((r) => r.data),
  patch: <T>(path: string, body?: unknown, options: Omit<RequestOptions, "method" | "body"> = {}) =>
    request<T>(path, { ...options, method: "PATCH", body }).then((r) => r.data),
  delete: <T>(path: string, options: Omit<RequestOptions, "method" | "body"> = {}) =>
    request<T>(path, { ...options, method: "DELETE" }).then((r) => r.data),
};

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
