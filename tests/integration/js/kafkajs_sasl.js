// kafkajs 2.2.4 over a SASL listener of a real eddy broker (SaslHandshake v1, then
// SaslAuthenticate), driven by ../test_sasl.py: connects as the given user, produces three
// records to TOPIC and reads them back through a consumer group.
//   node kafkajs_sasl.js BROKER TOPIC MECHANISM USER PASSWORD [CA_PEM]
// MECHANISM is kafkajs's spelling: plain, scram-sha-256, scram-sha-512. With CA_PEM: SASL_SSL.
// Exits non-zero on the first failed check.
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { Kafka, logLevel } = require('kafkajs')

const [broker, topic, mechanism, username, password, caPem] = process.argv.slice(2)

async function main() {
  const kafka = new Kafka({
    clientId: 'eddy-int-kafkajs-sasl', brokers: [broker], logLevel: logLevel.WARN,
    retry: { retries: 2 }, connectionTimeout: 5000, requestTimeout: 15000,
    ssl: caPem ? { ca: [fs.readFileSync(caPem, 'utf-8')] } : false,
    sasl: { mechanism, username, password },
  })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const values = ['a', 'b', 'c'].map(v => `${mechanism}-${caPem ? 'tls' : 'plain'}-${v}`)
  await producer.send({ topic, acks: -1, messages: values.map(value => ({ value })) })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: `eddy-int-kjs-sasl-${Date.now()}` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const got = []
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(got)}`)), 30000)
    consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value.toString())
        if (values.every(v => got.includes(v))) {
          clearTimeout(timer)
          resolve()
        }
      },
    }).catch(reject)
  })
  await consumer.disconnect()
  console.log(JSON.stringify({ produced: values, got }))
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
