import type { RotationRequest } from './store.js';

/** Whether a token rotated at `rotatedAt` may still be presented for its successor (0 = never). */
export function withinReuseInterval(rotatedAt: number, request: RotationRequest): boolean {
  return request.reuseIntervalMs > 0 && request.now - rotatedAt <= request.reuseIntervalMs;
}
