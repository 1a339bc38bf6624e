-- Case photos: the files live on disk, content-addressed; this records
-- which case (and timeline row) they belong to. SQLite dialect; keep in step
-- with postgres/0007_photos.sql.
CREATE TABLE case_photos (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    sha256        TEXT NOT NULL,
    public_sha256 TEXT NOT NULL,
    type          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    uploader_id   INTEGER REFERENCES users (id),
    created_at    DATETIME NOT NULL
);
CREATE INDEX case_photos_case ON case_photos (case_id);
CREATE INDEX case_photos_sha ON case_photos (sha256);
CREATE INDEX case_photos_public ON case_photos (public_sha256);
