/** The npm package piston-client ships no types; only what the acceptance test uses. */
declare module 'piston-client' {
  export interface PistonClient {
    runtimes(): Promise<any>;
    execute(language: string, code: string, config?: Record<string, unknown>): Promise<any>;
    execute(config: Record<string, unknown>): Promise<any>;
  }
  export function piston(options?: { server?: string }): PistonClient;
  export default piston;
}
