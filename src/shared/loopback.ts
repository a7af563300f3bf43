const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);

/** A loopback host, as a bind address (`::1`) or as a URL's hostname (`[::1]`). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);
}
