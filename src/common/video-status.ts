/**
 * A generated video's status, shared by the AIVideo record and the product's copy of it (and the
 * API's `VideoStatus` enum): pending → generating → completed | failed.
 */
export const VIDEO_STATUSES = ['pending', 'generating', 'completed', 'failed'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];
