// Every bound the server enforces, in one place, units last in the name.

/** jute.maxbuffer's default: the largest frame (and znode data) accepted, in bytes. */
export const MAX_BUFFER_BYTES_DEFAULT = 0xfffff;
/** ConnectRequest frames are small; anything bigger on a fresh connection is garbage. */
export const CONNECT_FRAME_BYTES_MAX = 1024;
/** How long a fresh connection may take to send its ConnectRequest, in ms. */
export const CONNECT_DEADLINE_MS_DEFAULT = 10_000;
/** Session ids: the server id in the top byte (ZooKeeper standalone uses 1). */
export const STANDALONE_SERVER_ID = 1;
/** Socket write backlog above which a connection stops reading until the client catches up. */
export const SOCKET_BACKLOG_BYTES_MAX = 4 * 1024 * 1024;
/** A connection's buffer for the reply frames of one turn starts at this size, in bytes. */
export const OUT_BUFFER_BYTES = 1024;
/** Past this size a connection's reply buffer is dropped after its write instead of reused. */
export const OUT_BUFFER_KEEP_BYTES = 256 * 1024;
/** Session password length, as ZooKeeper generates it. */
export const SESSION_PASSWORD_BYTES = 16;
