// The port the repository talks through: the shape of supabase-js's `rpc`, so a real client fits as is.

/** What PostgREST (and so supabase-js) returns for a failed call: the SQLSTATE in `code`. */
export interface RpcError {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

export type RpcResult<T = unknown> = { data: T; error: null } | { data: null; error: RpcError };

export interface RpcPort {
  rpc(fn: string, args?: Record<string, unknown>): PromiseLike<RpcResult>;
}
