// Types of http.mjs for scenario.ts.
import type { IncomingHttpHeaders } from "node:http";

export interface SendOptions {
  port: number;
  host?: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}
export interface SendResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}
export function send(options: SendOptions): Promise<SendResult>;
export function closeConnections(): void;
export function hostFetch(port: number, host: string): (input: Request | string | URL, init?: RequestInit) => Promise<Response>;
