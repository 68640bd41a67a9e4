// Types of contract.mjs for scenario.ts.
export interface Failure {
  where: string;
  problem: string;
  status: number;
  body: string;
}
export interface CheckInput {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  label?: string;
}
export class Contract {
  constructor(doc: unknown, name: string);
  readonly name: string;
  readonly failures: Failure[];
  readonly checked: number;
  check(input: CheckInput): string[];
  match(method: string, concretePath: string): string | undefined;
}
export function loadDocument(file: string): unknown;
export function mediaType(contentType: string | null | undefined): string;
export function report(contracts: Contract[], out?: (line: string) => void): number;
