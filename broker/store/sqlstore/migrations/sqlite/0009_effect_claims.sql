-- Claims on effects that must happen once per request (minting its
-- credential): the delivery holding the claim acts, a concurrent
-- redelivery waits for its outcome instead of acting too. A claim whose
-- holder died expires.
CREATE TABLE effect_claims (
    effect_key TEXT NOT NULL PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
