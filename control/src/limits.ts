// What a single caller can make the control plane hold, in one place (the README lists them).

/** Workers one key may have registered and not offline at once. */
export const MAX_WORKERS_PER_KEY = 100;
/** Labels one worker may advertise (and a run or job require). */
export const MAX_LABELS = 32;
/** Log streams (WebSocket or SSE) one key may hold open in one workspace. */
export const MAX_STREAMS_PER_KEY = 50;
/** Artifacts one run may have. */
export const MAX_ARTIFACTS_PER_RUN = 1_000;
/** How deeply a JSON request body may nest objects and arrays. */
export const MAX_JSON_DEPTH = 64;
/** Files in one skill, SKILL.md included (the original's limit for a zip). */
export const MAX_SKILL_FILES = 500;
/** Bytes of one skill's files, unpacked (the original's limit for a zip). */
export const MAX_SKILL_BYTES = 50 * 1024 * 1024;
