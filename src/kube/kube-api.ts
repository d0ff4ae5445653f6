/**
 * What the Secret issuer needs from the Kubernetes API, as an interface: kube-client.ts implements it
 * with the real API (and client-node's credentials), unit tests with a fake that can lose races.
 */

export interface KubeResponse<T> {
  /** The HTTP status: 200, 201, 404, 409 (AlreadyExists on create, Conflict on update), … */
  status: number;
  /** The parsed JSON body (an object, or a Status on errors). */
  body: T;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: unknown;
}

export interface RequestOptions {
  /**
   * The body's media type; default `application/json`. A PATCH names its kind here:
   * `application/merge-patch+json` (RFC 7386) or `application/strategic-merge-patch+json`.
   */
  contentType?: string;
}

export const MERGE_PATCH = 'application/merge-patch+json';

export interface KubeApi {
  /** Where requests go, for logs. */
  readonly server: string;
  /** One JSON request with a deadline; rejects only when no HTTP answer arrives. */
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<KubeResponse<T>>;
  /**
   * A watch on a list path: calls `onEvent` per event until the server ends the watch (minutes),
   * the connection fails (rejects) or `signal` aborts (resolves).
   */
  watch(path: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
}

/** The `message` of a Kubernetes Status body, or a short description of whatever came back. */
export function statusMessage(response: KubeResponse<unknown>): string {
  const body = response.body;
  if (typeof body === 'object' && body !== null && 'message' in body) {
    return `HTTP ${response.status}: ${String(body.message)}`;
  }
  return `HTTP ${response.status}`;
}
