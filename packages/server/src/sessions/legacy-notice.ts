/**
 * A user told by email that sessions end on `sunset` (`tessera legacy-usage notify`). The notice of one
 * sunset date goes to a user at most once; a new sunset date is a new notice.
 */
export interface LegacyNoticeRecord {
  userId: string;
  /** The sunset date announced, epoch milliseconds (SESSIONS_SUNSET). */
  sunset: number;
  /** The address it was sent to. */
  email: string;
  sentAt: number;
}
