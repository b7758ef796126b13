/** Per-user exceptions to the JWT rollout. */

/** A user for whom the JWT rollout percentage does not apply. */
export interface RolloutOverride {
  userId: string;
  username: string;
  /** true: always JWT; false: never (keeps using sessions). */
  enabled: boolean;
  updatedAt: number;
}
