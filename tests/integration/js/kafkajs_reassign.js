// kafkajs 2.2.4's admin.alterPartitionReassignments and admin.listPartitionReassignments
// (AlterPartitionReassignments v0, ListPartitionReassignments v0) against one eddy broker, node 1:
// nothing is listed, a reassignment to the replica the partition already has is accepted and
// leaves nothing listed, an unknown broker is INVALID_REPLICA_ASSIGNMENT and an unknown topic
// UNKNOWN_TOPIC_OR_PARTITION. Driven by ../test_kafkajs.py.
//   node kafkajs_reassign.js BROKER TOPIC
// Prints one JSON line; exits non-zero on the first failed check.
'use strict'
const assert = require('node:assert/strict')
const { Kafka, logLevel } = require('kafkajs')

const [broker, topic] = process.argv.slice(2)

// Every partition listed, as [topic, partition, replicas, adding, removing].
async function listed(admin, topics) {
  const r = await admin.listPartitionReassignments(topics ? { topics } : {})
  return r.topics.flatMap(t => t.partitions.map(p =>
    [t.name, p.partition, p.replicas, p.addingReplicas, p.removingReplicas]))
}

// The per-partition errors a rejected alterPartitionReassignments carries, as
// [topic, partition, type].
async function refusal(admin, topics) {
  try {
    await admin.alterPartitionReassignments({ topics })
  } catch (e) {
    assert.equal(e.name, 'KafkaJSAggregateError', `an aggregate of partition errors: ${e.stack}`)
    return e.errors.map(x => [x.topic, x.partition, x.type])
  }
  assert.fail(`alterPartitionReassignments(${JSON.stringify(topics)}) was accepted`)
}

async function main() {
  const kafka = new Kafka({ clientId: 'eddy-int-kafkajs-reassign', brokers: [broker],
                            logLevel: logLevel.WARN, retry: { retries: 3 },
                            connectionTimeout: 5000, requestTimeout: 15000 })
  const admin = kafka.admin()
  await admin.connect()
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }),
               true, 'createTopics')

  assert.deepEqual(await listed(admin), [], 'listPartitionReassignments of everything')
  assert.deepEqual(await listed(admin, [{ topic, partitions: [0] }]), [],
                   'listPartitionReassignments of the new partition')

  // To the replica it has: accepted, and complete at once (nothing to copy).
  await admin.alterPartitionReassignments({
    topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1] }] }] })
  const deadline = Date.now() + 10000
  let now = await listed(admin)
  while (now.length > 0) {
    assert.ok(Date.now() < deadline, `still listed after 10 s: ${JSON.stringify(now)}`)
    await new Promise(r => setTimeout(r, 100))
    now = await listed(admin)
  }

  assert.deepEqual(await refusal(admin, [{ topic, partitionAssignment: [{ partition: 0, replicas: [1, 7] }] }]),
                   [[topic, 0, 'INVALID_REPLICA_ASSIGNMENT']], 'a reassignment to an unknown broker')
  assert.deepEqual(await refusal(admin, [{ topic: `${topic}-none`, partitionAssignment: [{ partition: 0, replicas: [1] }] }]),
                   [[`${topic}-none`, 0, 'UNKNOWN_TOPIC_OR_PARTITION']], 'a reassignment of an unknown topic')
  assert.deepEqual(await listed(admin), [], 'nothing listed after the refusals')

  const md = await admin.fetchTopicMetadata({ topics: [topic] })
  assert.deepEqual(md.topics[0].partitions.map(p => [p.partitionId, p.leader, p.replicas, p.isr]),
                   [[0, 1, [1], [1]]], 'the partition where it was')
  await admin.disconnect()
  console.log(JSON.stringify({ ok: true }))
}

main().catch(e => { console.error('kafkajs reassign check failed:', e && e.stack || e); process.exit(1) })
