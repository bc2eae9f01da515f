-- Where a grant's workload was to run, and the request key its Dataproc ids
-- derive from: a revocation cascade can then find and cancel a workload
-- that was submitted under the grant but never recorded (its worker died
-- between the submit and the write).
ALTER TABLE grants ADD COLUMN request_key TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN project TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE grants ADD COLUMN cluster TEXT NOT NULL DEFAULT '';
