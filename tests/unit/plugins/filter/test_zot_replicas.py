"""zot_replica_problems: what keeps a host from joining its replica set, naming host and variable."""
from ansible_collections.zotops.zot.plugins.filter.zot_replicas import zot_replica_problems

S3 = {"bucket": "zot", "region": "eu-central-1", "access_key_id": "AK", "secret_access_key": "SK"}
REDIS = {"url": "redis://redis:6379/0", "password": "redis-secret"}


def settings(**overrides):
    base = {"zot_replica_set": "registry", "zot_storage_s3": dict(S3), "zot_redis": dict(REDIS)}
    base.update(overrides)
    return base


def test_a_consistent_set_has_no_problem():
    hostvars = {"r2": settings(), "r3": settings(zot_storage_s3=dict(S3, access_key_id="other-host-key"))}
    assert zot_replica_problems(settings(), hostvars, ["r1", "r2", "r3"], "r1") == []


def test_no_replica_set_checks_nothing():
    assert zot_replica_problems({"zot_replica_set": ""}, {}, ["r1"], "r1") == []


def test_a_set_needs_shared_storage_redis_and_shared_sessions():
    problems = zot_replica_problems({"zot_replica_set": "registry", "zot_session_store": "local"}, {}, ["r1"], "r1")
    assert any("host r1" in p and "zot_storage_s3" in p for p in problems)
    assert any("zot_redis" in p for p in problems)
    assert any("zot_auth_session_keys" in p for p in problems)


def test_a_different_bucket_names_both_hosts_and_the_variable():
    hostvars = {"r2": settings(zot_storage_s3=dict(S3, bucket="other"))}
    problems = zot_replica_problems(settings(), hostvars, ["r1", "r2"], "r1")
    assert problems == ['host r1: zot_storage_s3.bucket is "zot" where host r2 has "other"; replicas of registry must share it']


def test_secrets_are_compared_but_never_shown():
    hostvars = {"r2": settings(zot_redis=dict(REDIS, password="another-secret"),
                               zot_auth_session_keys={"hash_key": "k2"})}
    problems = zot_replica_problems(settings(zot_auth_session_keys={"hash_key": "k1"}), hostvars, ["r1", "r2"], "r1")
    assert len(problems) == 2
    text = " ".join(problems)
    assert "zot_redis.password" in text and "zot_auth_session_keys" in text and "values not shown" in text
    for secret in ("redis-secret", "another-secret", "k1", "k2"):
        assert secret not in text


def test_hosts_of_another_set_or_outside_the_play_are_not_compared():
    hostvars = {"r2": settings(zot_replica_set="other", zot_storage_s3=dict(S3, bucket="x")),
                "r9": settings(zot_storage_s3=dict(S3, bucket="y"))}
    assert zot_replica_problems(settings(), hostvars, ["r1", "r2"], "r1") == []


def test_dynamodb_is_a_shared_metadata_store_too():
    dynamo = {"zot_replica_set": "registry", "zot_storage_s3": dict(S3), "zot_dynamodb": {"region": "eu-central-1"},
              "zot_auth_session_keys": {"hash_key": "k"}}
    assert zot_replica_problems(dynamo, {"r2": dict(dynamo)}, ["r1", "r2"], "r1") == []
    other = dict(dynamo, zot_dynamodb={"region": "eu-central-1", "table_prefix": "other"})
    problems = zot_replica_problems(dynamo, {"r2": other}, ["r1", "r2"], "r1")
    assert problems and "zot_dynamodb.table_prefix" in problems[0]
