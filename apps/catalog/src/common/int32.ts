// Ids, prices and stock are INTEGER columns; PostgreSQL's is 32-bit, so larger values would
// fail in the database as 500s instead of being rejected as 400s at the edge.
export const INT32_MAX = 2_147_483_647;
