// kafkajs 2.2.4 against a real eddy broker: admin (createTopics, fetchTopicMetadata,
// fetchTopicOffsets, fetchTopicOffsetsByTimestamp, createPartitions, describeConfigs (a topic
// and the broker's loggers), alterConfigs, deleteTopicRecords, deleteTopics) and a gzip producer. Driven by
// ../test_kafkajs.py, which reads the produced records back with librdkafka.
//   node kafkajs_check.js BROKER TOPIC OTHER_TOPIC BASE_TS
// Prints one JSON line with what it produced; exits non-zero on the first failed check.
'use strict'
const assert = require('node:assert/strict')
const { Kafka, CompressionTypes, ConfigResourceTypes, logLevel } = require('kafkajs')

const [broker, topic, other, baseTsArg] = process.argv.slice(2)
const baseTs = Number(baseTsArg)

async function main() {
  const kafka = new Kafka({ clientId: 'eddy-int-kafkajs', brokers: [broker], logLevel: logLevel.WARN,
                            retry: { retries: 3 }, connectionTimeout: 5000, requestTimeout: 15000 })
  const admin = kafka.admin()
  await admin.connect()

  assert.equal(await admin.createTopics({
    topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
             { topic: other, numPartitions: 1 }],
    waitForLeaders: true,
  }), true, 'createTopics of two new topics returns true')
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), false,
               'createTopics of an existing topic returns false')
  assert.ok((await admin.listTopics()).includes(topic), 'listTopics has the topic')

  const md = await admin.fetchTopicMetadata({ topics: [topic] })
  assert.deepEqual(md.topics.map(t => [t.name, t.partitions.map(p => [p.partitionId, p.leader, p.replicas, p.isr])
                                                   .sort((a, b) => a[0] - b[0])]),
                   [[topic, [[0, 1, [1], [1]], [1, 1, [1], [1]]]]], 'fetchTopicMetadata')

  const cfg = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
    includeSynonyms: false })
  assert.deepEqual(cfg.resources[0].configEntries.map(e => [e.configName, e.configValue, e.isDefault]),
                   [['retention.ms', '3600000', false]], 'describeConfigs retention.ms')
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
                             configEntries: [{ name: 'retention.ms', value: '7200000' }] }] })
  const cfg2 = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
    includeSynonyms: false })
  assert.equal(cfg2.resources[0].configEntries[0].configValue, '7200000', 'retention.ms after alterConfigs')
  // The broker's loggers (KIP-412), routed by kafkajs to the broker they name.
  const loggers = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.BROKER_LOGGER, name: '1', configNames: ['root', 'raft'] }],
    includeSynonyms: false })
  assert.deepEqual(loggers.resources[0].configEntries.map(e => [e.configName, e.configValue]),
                   [['root', 'INFO'], ['raft', 'INFO']], 'describeConfigs BROKER_LOGGER')

  // gzip producer: keys, headers (empty value too), explicit timestamps, explicit partitions
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const produced = []
  for (let round = 0; round < 2; round++) {
    const messages = []
    for (let i = 0; i < 10; i++) {
      const n = round * 10 + i
      messages.push({ partition: 0, key: `k${n}`, value: `gzip value ${n} ` + 'z'.repeat(n),
                      timestamp: String(baseTs + n * 1000), headers: { h: `v${n}`, empty: '' } })
    }
    const res = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages })
    assert.deepEqual(res.map(r => [r.topicName, r.partition, r.errorCode, r.baseOffset]),
                     [[topic, 0, 0, String(round * 10)]], `send round ${round}`)
    produced.push(...messages)
  }
  const res1 = await producer.send({ topic, messages: [{ partition: 1, value: 'p1 plain' }] })
  assert.deepEqual(res1.map(r => [r.partition, r.errorCode, r.baseOffset]), [[1, 0, '0']], 'plain send to partition 1')
  await producer.disconnect()

  const offs = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition)
  assert.deepEqual(offs.map(o => [o.partition, o.low, o.high, o.offset]),
                   [[0, '0', '20', '20'], [1, '0', '1', '1']], 'fetchTopicOffsets')
  const byTs = (await admin.fetchTopicOffsetsByTimestamp(topic, baseTs + 4500))
    .sort((a, b) => a.partition - b.partition)
  assert.equal(byTs[0].offset, '5', 'fetchTopicOffsetsByTimestamp partition 0')

  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] })
  const offs2 = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition)
  assert.deepEqual(offs2.map(o => [o.partition, o.low, o.high]), [[0, '3', '20'], [1, '0', '1']],
                   'fetchTopicOffsets after deleteTopicRecords(0 -> 3)')

  await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })
  const md2 = await admin.fetchTopicMetadata({ topics: [topic] })
  assert.equal(md2.topics[0].partitions.length, 3, 'partitions after createPartitions')

  // an idempotent producer (InitProducerId v1, sequence numbers) on the new partition 2
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false })
  await idem.connect()
  for (let round = 0; round < 3; round++) {
    const messages = []
    for (let i = 0; i < 5; i++) messages.push({ partition: 2, value: `idem ${round * 5 + i}` })
    const res = await idem.send({ topic, acks: -1, messages })
    assert.deepEqual(res.map(r => [r.partition, r.errorCode, r.baseOffset]),
                     [[2, 0, String(round * 5)]], `idempotent send round ${round}`)
  }
  await idem.disconnect()

  await admin.deleteTopics({ topics: [other], timeout: 10000 })
  const deadline = Date.now() + 10000
  while ((await admin.listTopics()).includes(other)) {
    assert.ok(Date.now() < deadline, 'deleted topic still listed after 10 s')
    await new Promise(r => setTimeout(r, 100))
  }
  await admin.disconnect()
  console.log(JSON.stringify({ produced }))
}

main().catch(e => { console.error('kafkajs check failed:', e && e.stack || e); process.exit(1) })
