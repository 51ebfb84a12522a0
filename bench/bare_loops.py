"""The bare boto3 loops the data benchmarks compare ddbctl with, as scripts a child ``python -c`` runs.

No ddbctl and no boto3 here: the bench drivers import this module, and a child forked from a large
process would report the parent's size as its own peak RSS. The endpoint comes from the environment
(AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL), as for any boto3 program.
"""

# Scan (one segment) that only counts: python -c BARE_SCAN TABLE...
BARE_SCAN = """
import sys, boto3
from botocore.config import Config
client = boto3.client("dynamodb", config=Config(retries={"mode": "standard", "total_max_attempts": 8}))
total = 0
for table in sys.argv[1:]:
    for page in client.get_paginator("scan").paginate(TableName=table):
        total += page["Count"]
print(total)
"""

# One-thread BatchWriteItem of export files, 25 at a time: python -c BARE_LOAD TABLE FILE.json.gz...
BARE_LOAD = """
import base64, gzip, json, sys, boto3
from botocore.config import Config

def wire(value):
    (kind, inner), = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(member) for member in inner]}
    if kind == "M":
        return {"M": {name: wire(member) for name, member in inner.items()}}
    if kind == "L":
        return {"L": [wire(member) for member in inner]}
    return value

client = boto3.client("dynamodb", config=Config(retries={"mode": "standard", "total_max_attempts": 8}))
table, files = sys.argv[1], sys.argv[2:]

def send(puts):
    while puts:
        puts = client.batch_write_item(RequestItems={table: puts}).get("UnprocessedItems", {}).get(table, [])

batch = []
for path in files:
    with gzip.open(path, "rb") as lines:
        for line in lines:
            item = json.loads(line)["Item"]
            batch.append({"PutRequest": {"Item": {name: wire(value) for name, value in item.items()}}})
            if len(batch) == 25:
                send(batch)
                batch = []
send(batch)
"""
