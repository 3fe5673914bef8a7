import { Injectable } from '@nestjs/common';

/** Request counts by route pattern and status (never by URL: Yunfu's URL holds its secret). */
@Injectable()
export class HttpMetrics {
  private readonly counts = new Map<string, number>();
  /** Connections closed at once because their address already had `HTTP_MAX_CONNECTIONS_PER_ADDRESS` open. */
  refusedConnections = 0;

  refusedConnection(): void {
    this.refusedConnections++;
  }

  record(route: string, status: number): void {
    const key = `${route} ${status}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  samples(): Array<[Record<string, string>, number]> {
    return [...this.counts].map(([key, value]) => {
      const split = key.lastIndexOf(' ');
      return [{ route: key.slice(0, split), status: key.slice(split + 1) }, value];
    });
  }
}
