// kafkajs 2.2.4's cells of the security matrix (../test_security_matrix.py), all at once:
//   node kafkajs_matrix.js CASES_JSON
// CASES_JSON is a file holding a list of cases {id, broker, topic, ssl, sasl, values, expect}:
// ssl is null or {ca, cert, key} (PEM file paths; cert and key for mTLS), sasl null or
// {mechanism (kafkajs's spelling: plain, scram-sha-256, scram-sha-512), username, password}.
// expect "ok": produce `values` to `topic` and read them back through a consumer group.
// expect "refused": connect a producer and send one record; the error is reported, not judged.
// Prints one JSON line: a list of {id, got} (what was read back) or {id, error} (name: message).
'use strict'
const fs = require('node:fs')
const { Kafka, logLevel } = require('kafkajs')

function client(c) {
  return new Kafka({
    clientId: `eddy-matrix-${c.id}`, brokers: [c.broker], logLevel: logLevel.NOTHING,
    // A refused case should fail once, not retry its way to a timeout.
    retry: { retries: c.expect === 'refused' ? 0 : 2 }, connectionTimeout: 5000,
    requestTimeout: 15000,
    ssl: c.ssl ? {
      ca: [fs.readFileSync(c.ssl.ca, 'utf-8')],
      ...(c.ssl.cert ? { cert: fs.readFileSync(c.ssl.cert, 'utf-8'),
        key: fs.readFileSync(c.ssl.key, 'utf-8') } : {}),
    } : false,
    ...(c.sasl ? { sasl: c.sasl } : {}),
  })
}

async function roundTrip(c) {
  const kafka = client(c)
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  await producer.send({ topic: c.topic, acks: -1, messages: c.values.map(value => ({ value })) })
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: `eddy-matrix-${c.id}` })
  await consumer.connect()
  const got = []
  try {
    await consumer.subscribe({ topic: c.topic, fromBeginning: true })
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(got)}`)), 30000)
      consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value.toString())
          if (got.length >= c.values.length) {
            clearTimeout(timer)
            resolve()
          }
        },
      }).catch(reject)
    })
  } finally {
    await consumer.disconnect()
  }
  return { id: c.id, got }
}

async function refused(c) {
  const producer = client(c).producer({ allowAutoTopicCreation: false })
  await producer.connect()
  await producer.send({ topic: c.topic, acks: -1, messages: [{ value: 'must not land' }] })
  await producer.disconnect()
  return { id: c.id, got: [] }
}

async function main() {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf-8'))
  const results = await Promise.all(cases.map(c =>
    (c.expect === 'ok' ? roundTrip(c) : refused(c))
      .catch(e => ({ id: c.id, error: `${e.name}: ${e.message}` }))))
  console.log(JSON.stringify(results))
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
