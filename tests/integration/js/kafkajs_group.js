// kafkajs 2.2.4 consumer group against a real eddy broker: produces COUNT records to TOPIC
// (2 partitions), consumes them with a group consumer (eachMessage, auto commit), then reads the
// group's committed offsets with the admin client. Driven by ../test_groups.py.
//   node kafkajs_group.js BROKER TOPIC GROUP COUNT
// Prints one JSON line {consumed, committed}; exits non-zero on the first failed check.
'use strict'
const assert = require('node:assert/strict')
const { Kafka, logLevel } = require('kafkajs')

const [broker, topic, groupId, countArg] = process.argv.slice(2)
const count = Number(countArg)

async function main() {
  const kafka = new Kafka({ clientId: 'eddy-int-kafkajs-group', brokers: [broker], logLevel: logLevel.WARN,
                            retry: { retries: 5 }, connectionTimeout: 5000, requestTimeout: 15000 })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })
  const producer = kafka.producer()
  await producer.connect()
  const messages = []
  for (let i = 0; i < count; i++) {
    messages.push({ key: `k${i}`, value: `v${i}`, partition: i % 2 })
  }
  await producer.send({ topic, messages })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 500,
                                    rebalanceTimeout: 10000 })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const consumed = []
  let done
  const all = new Promise(resolve => { done = resolve })
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 100,
    eachMessage: async ({ partition, message }) => {
      consumed.push([partition, Number(message.offset), message.value.toString()])
      if (consumed.length === count) done()
    },
  })
  const timer = setTimeout(() => { throw new Error(`consumed ${consumed.length} of ${count} in time`) }, 45000)
  await all
  clearTimeout(timer)
  await consumer.disconnect()  // commits what was consumed, then leaves the group

  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
  const committed = offsets[0].partitions.map(p => [p.partition, Number(p.offset)]).sort((a, b) => a[0] - b[0])
  assert.deepEqual(committed, [[0, count / 2], [1, count / 2]], 'committed offsets after disconnect')
  const groups = (await admin.listGroups()).groups.map(g => g.groupId)
  assert.ok(groups.includes(groupId), 'listGroups has the group')
  const described = await admin.describeGroups([groupId])
  assert.equal(described.groups[0].state, 'Empty', 'the group is Empty after the consumer left')
  await admin.disconnect()
  console.log(JSON.stringify({ consumed, committed }))
}

main().catch(e => { console.error(e); process.exit(1) })
