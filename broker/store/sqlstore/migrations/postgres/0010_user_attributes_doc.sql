-- Each user's SCIM resource as jsonb, for the directory filters and sorts
-- on attributes that have no column of their own (name.givenName, title,
-- the enterprise extension, phoneNumbers, ...). The database computes it
-- from attributes, so no writer can let it drift, old binaries included.
--
-- Text that jsonb cannot hold (a \u0000 escape, which a text column can)
-- gives NULL rather than failing the write: such a user matches no filter
-- on those attributes, and everything else about it works (a leaver can
-- still be deactivated).
CREATE FUNCTION iis_attributes_doc(attributes TEXT) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN attributes::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

ALTER TABLE dir_users ADD COLUMN attributes_doc jsonb
    GENERATED ALWAYS AS (iis_attributes_doc(attributes)) STORED;
