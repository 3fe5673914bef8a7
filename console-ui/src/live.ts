// One polite live region for the whole app: async results (loaded, saved, replayed) are read out once.
let listener: ((message: string) => void) | null = null;

export function onAnnounce(handler: ((message: string) => void) | null): void {
  listener = handler;
}

export function announce(message: string): void {
  listener?.(message);
}
