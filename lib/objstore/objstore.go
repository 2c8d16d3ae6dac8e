// Package objstore is the small part of S3 the collector and the bucket
// verifier need, over minio-go: whole-object reads and writes, writes
// that succeed only if the key is new (the one atomic step several
// collectors serving one bucket agree through), Object Lock retention,
// and listings with versions (to see an overwrite or a delete marker).
// Credentials come from the usual environment: AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), MINIO_ROOT_USER /
// MINIO_ROOT_PASSWORD, or ~/.aws/credentials.
package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Errors a caller acts on.
var (
	ErrNotFound = errors.New("no such object")
	ErrExists   = errors.New("the object already exists")
	ErrModified = errors.New("the object changed since it was read")
)

// Store is one bucket.
type Store struct {
	client *minio.Client
	Bucket string
	URL    string
}

// Open connects to the S3 endpoint rawURL (http://HOST:PORT or
// https://HOST) and checks that bucket exists. The region is
// AWS_REGION's, else AWS_DEFAULT_REGION's, else the endpoint's default.
func Open(ctx context.Context, rawURL, bucket string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("--s3 %q: want http(s)://HOST[:PORT] of an S3 endpoint", rawURL)
	}
	if bucket == "" {
		return nil, errors.New("--bucket: a bucket name is required")
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.FileAWSCredentials{},
	})
	tr, err := minio.DefaultTransport(u.Scheme == "https")
	if err != nil {
		return nil, err
	}
	tr.Proxy = nil
	c, err := minio.New(u.Host, &minio.Options{Creds: creds, Secure: u.Scheme == "https", Region: region, Transport: tr, TrailingHeaders: true})
	if err != nil {
		return nil, fmt.Errorf("--s3 %s: %w", rawURL, err)
	}
	s := &Store{client: c, Bucket: bucket, URL: rawURL}
	ok, err := c.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("bucket %s at %s: %w", bucket, rawURL, err)
	}
	if !ok {
		return nil, fmt.Errorf("bucket %s does not exist at %s (nono-collect bucket create makes one with Object Lock)", bucket, rawURL)
	}
	return s, nil
}

// Create makes the bucket at rawURL, with Object Lock (and so
// versioning) when lock is set, and with a default retention in
// compliance mode of days when days > 0.
func Create(ctx context.Context, rawURL, bucket string, lock bool, days uint) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--s3 %q: want http(s)://HOST[:PORT]", rawURL)
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.FileAWSCredentials{},
	})
	c, err := minio.New(u.Host, &minio.Options{Creds: creds, Secure: u.Scheme == "https", Region: os.Getenv("AWS_REGION")})
	if err != nil {
		return nil, err
	}
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{ObjectLocking: lock, Region: os.Getenv("AWS_REGION")}); err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if lock && days > 0 {
		mode, unit := minio.Compliance, minio.Days
		if err := c.SetObjectLockConfig(ctx, bucket, &mode, &days, &unit); err != nil {
			return nil, fmt.Errorf("bucket %s: default retention: %w", bucket, err)
		}
	}
	return &Store{client: c, Bucket: bucket, URL: rawURL}, nil
}

// Lock is a bucket's Object Lock configuration.
type Lock struct {
	Enabled bool
	Mode    string        // default retention mode, "" for none
	Period  time.Duration // default retention period, 0 for none
}

// LockConfig reads the bucket's Object Lock configuration; a bucket
// without one reports Enabled false.
func (s *Store) LockConfig(ctx context.Context) (Lock, error) {
	enabled, mode, validity, unit, err := s.client.GetObjectLockConfig(ctx, s.Bucket)
	if err != nil {
		if r := minio.ToErrorResponse(err); r.Code == "ObjectLockConfigurationNotFoundError" || r.StatusCode == http.StatusNotFound {
			return Lock{}, nil
		}
		return Lock{}, fmt.Errorf("bucket %s: object lock configuration: %w", s.Bucket, err)
	}
	l := Lock{Enabled: enabled == "Enabled"}
	if mode != nil {
		l.Mode = mode.String()
	}
	if validity != nil && unit != nil {
		day := 24 * time.Hour
		if *unit == minio.Years {
			day *= 365
		}
		l.Period = time.Duration(*validity) * day
	}
	return l, nil
}

// PutOptions shape a write.
type PutOptions struct {
	// IfAbsent makes the write fail with ErrExists when the key exists
	// (If-None-Match: *), atomically, whoever else writes it.
	IfAbsent bool
	// IfMatch makes the write fail with ErrModified unless the key's
	// current version has this ETag (If-Match), atomically: a
	// compare-and-swap over a value read with Get.
	IfMatch string
	// RetainUntil, when set, locks the new version in compliance mode
	// until then: no one can delete or overwrite it before.
	RetainUntil time.Time
}

// Put writes data as key in one request and returns the new version's ID
// ("" in a bucket without versioning).
func (s *Store) Put(ctx context.Context, key string, data []byte, o PutOptions) (string, error) {
	// One request, with a CRC32C checksum header: S3 requires an integrity
	// header on writes to Object Lock buckets, and CRC32C costs next to
	// nothing where MD5 would cost a pass over a large envelope.
	opts := minio.PutObjectOptions{ContentType: "application/json", DisableMultipart: true, Checksum: minio.ChecksumCRC32C}
	if o.IfAbsent {
		opts.SetMatchETagExcept("*")
	}
	if o.IfMatch != "" {
		opts.SetMatchETag(o.IfMatch)
	}
	if !o.RetainUntil.IsZero() {
		opts.Mode = minio.Compliance
		opts.RetainUntilDate = o.RetainUntil.UTC()
	}
	info, err := s.client.PutObject(ctx, s.Bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		if r := minio.ToErrorResponse(err); r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed" {
			if o.IfMatch != "" {
				return "", fmt.Errorf("%s: %w", key, ErrModified)
			}
			return "", fmt.Errorf("%s: %w", key, ErrExists)
		}
		return "", fmt.Errorf("write %s: %w", key, err)
	}
	return info.VersionID, nil
}

// Object is a read object.
type Object struct {
	Data        []byte
	VersionID   string
	ETag        string // for PutOptions.IfMatch
	RetainMode  string
	RetainUntil time.Time
}

// Get reads the current version of key (at most max bytes), or the
// version versionID when it is set.
func (s *Store) Get(ctx context.Context, key, versionID string, max int64) (*Object, error) {
	obj, err := s.client.GetObject(ctx, s.Bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, s.readErr(key, err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		return nil, s.readErr(key, err)
	}
	if info.Size > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d allowed", key, info.Size, max)
	}
	data, err := io.ReadAll(io.LimitReader(obj, max+1))
	if err != nil {
		return nil, s.readErr(key, err)
	}
	o := &Object{Data: data, VersionID: info.VersionID, ETag: info.ETag}
	if m := info.Metadata.Get("X-Amz-Object-Lock-Mode"); m != "" {
		o.RetainMode = m
		o.RetainUntil, _ = time.Parse(time.RFC3339, info.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
	}
	return o, nil
}

// Exists reports whether key has a current version.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	_, err := s.client.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{})
	if err == nil {
		return true, nil
	}
	if err := s.readErr(key, err); errors.Is(err, ErrNotFound) {
		return false, nil
	} else {
		return false, err
	}
}

func (s *Store) readErr(key string, err error) error {
	r := minio.ToErrorResponse(err)
	if r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey" {
		return fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	return fmt.Errorf("read %s: %w", key, err)
}

// Remove deletes key's version versionID ("" for the current one: in a
// versioned bucket that only adds a delete marker).
func (s *Store) Remove(ctx context.Context, key, versionID string) error {
	return s.client.RemoveObject(ctx, s.Bucket, key, minio.RemoveObjectOptions{VersionID: versionID})
}

// ShortenRetention tries to move a version's retain-until date earlier,
// which compliance mode forbids (tests show the bucket refuses it).
func (s *Store) ShortenRetention(ctx context.Context, key, versionID string, until time.Time) error {
	mode := minio.Governance
	return s.client.PutObjectRetention(ctx, s.Bucket, key, minio.PutObjectRetentionOptions{
		Mode: &mode, RetainUntilDate: &until, VersionID: versionID, GovernanceBypass: true,
	})
}

// Entry is one listed object version.
type Entry struct {
	Key          string
	Size         int64
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
	Modified     time.Time
}

// List calls each for every object under prefix, every version of it
// when versions is set (newest first per key), until each returns false.
func (s *Store) List(ctx context.Context, prefix string, versions bool, each func(Entry) bool) error {
	for o := range s.client.ListObjectsIter(ctx, s.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: versions}) {
		if o.Err != nil {
			return fmt.Errorf("list %s/%s: %w", s.Bucket, prefix, o.Err)
		}
		e := Entry{Key: o.Key, Size: o.Size, VersionID: o.VersionID, IsLatest: o.IsLatest || !versions,
			DeleteMarker: o.IsDeleteMarker, Modified: o.LastModified}
		if !each(e) {
			return nil
		}
	}
	return nil
}
