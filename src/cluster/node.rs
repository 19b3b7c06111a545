//! The cluster task: runs chitchat (scuttlebutt gossip with a phi-accrual
//! failure detector) over the authenticated transport, writes what the
//! updater publishes into this node's own gossip state, and reads every
//! live member's state back into [`ClusterInputs`] for the updater and a
//! [`ClusterStatus`] for the admin API.
//!
//! Invariants: this task is the only one that touches chitchat. It keeps
//! its own copy of this node's keys, so that when chitchat's loop ends (a
//! socket error) it restarts with a new generation and the same keys. The
//! inputs are sent only when they change; the status (with last-heard
//! times) after every gossip interval. A stop ([`ClusterStop`]) returns
//! only once the gossip port is closed, so a restart can bind it again.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chitchat::{ChitchatConfig, ChitchatHandle, ChitchatId, FailureDetectorConfig, Heartbeat};
use chitchat::{ListenerHandle, ProtocolVersion, spawn_chitchat};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::cluster::config::ClusterConfig;
use crate::cluster::keys::{self, ObservationValue, ZoneValue};
use crate::cluster::transport::{AuthTransport, ReaderTasks};
use crate::cluster::view::{ClusterInputs, ClusterStatus, Member, gauges};
use crate::health::{CheckId, NodeName, OverrideEvent};
use crate::metrics::Metrics;

/// chitchat's namespace; not a secret (the key is).
const CLUSTER_ID: &str = "alwayson";
/// How long a dead member's state is kept before it is forgotten.
const DEAD_NODE_GRACE: Duration = Duration::from_secs(3600);

/// Why the cluster could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the cluster gossip on {listen}: {message}")]
pub struct ClusterError {
    pub listen: SocketAddr,
    pub message: String,
}

/// What the updater writes into this node's gossip state.
#[derive(Clone, Debug)]
pub enum Publish {
    Observation(CheckId, ObservationValue),
    Override(CheckId, OverrideEvent),
    /// Every zone this node serves now (others are removed).
    Zones(Vec<(String, ZoneValue)>),
    /// The checks this node probes now (observations of others are removed).
    Checks(Vec<CheckId>),
}

/// The running cluster task and its channels.
#[derive(Debug)]
pub struct Cluster {
    pub node: NodeName,
    pub config: ClusterConfig,
    publish: mpsc::UnboundedSender<Publish>,
    inputs: watch::Receiver<Arc<ClusterInputs>>,
    status: watch::Receiver<Arc<ClusterStatus>>,
}

/// Stops the cluster task and waits until its gossip port is closed (the
/// task also ends when the [`Cluster`] is dropped).
pub struct ClusterStop {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl ClusterStop {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

impl Cluster {
    /// Binds the gossip socket and starts the task on the current runtime.
    pub async fn start(
        config: ClusterConfig,
        metrics: Arc<Metrics>,
    ) -> Result<(Self, ClusterStop), ClusterError> {
        let (publish, rx) = mpsc::unbounded_channel();
        let node = config.node.clone();
        let status = ClusterStatus {
            node: node.clone(),
            ..ClusterStatus::default()
        };
        let (inputs_tx, inputs) = watch::channel(Arc::new(ClusterInputs::default()));
        let (status_tx, status) = watch::channel(Arc::new(status));
        let mut gossip = Gossip {
            config: config.clone(),
            metrics,
            own: BTreeMap::new(),
            handle: None,
            _listener: None,
            changed: Arc::new(Notify::new()),
            heard: Mutex::new(HashMap::new()),
            inputs: inputs_tx,
            status: status_tx,
            readers: ReaderTasks::default(),
        };
        gossip.spawn().await?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(gossip.run(rx, stopped));
        let cluster = Self {
            node,
            config,
            publish,
            inputs,
            status,
        };
        Ok((cluster, ClusterStop { stop, task }))
    }

    /// Writes into this node's gossip state (never blocks).
    pub fn publish(&self, what: Publish) {
        let _ = self.publish.send(what);
    }

    /// The inputs of the updater's decisions; changes when they change.
    pub fn inputs(&self) -> watch::Receiver<Arc<ClusterInputs>> {
        self.inputs.clone()
    }

    /// The whole state, for the admin API.
    pub fn status(&self) -> watch::Receiver<Arc<ClusterStatus>> {
        self.status.clone()
    }
}

struct Gossip {
    config: ClusterConfig,
    metrics: Arc<Metrics>,
    /// This node's keys, to restart chitchat with.
    own: BTreeMap<String, String>,
    handle: Option<ChitchatHandle>,
    _listener: Option<ListenerHandle>,
    /// Woken by chitchat's key-change callbacks.
    changed: Arc<Notify>,
    /// Each member's last heartbeat and when it moved.
    heard: Mutex<HashMap<ChitchatId, (Heartbeat, SystemTime)>>,
    inputs: watch::Sender<Arc<ClusterInputs>>,
    status: watch::Sender<Arc<ClusterStatus>>,
    readers: ReaderTasks,
}

impl Gossip {
    /// Starts chitchat with a new generation and this node's keys.
    async fn spawn(&mut self) -> Result<(), ClusterError> {
        let interval = self.config.gossip_interval;
        let id = ChitchatId::new(
            self.config.node.to_string(),
            keys::unix_ms(SystemTime::now()),
            self.config.advertise,
        );
        let chitchat_config = ChitchatConfig {
            chitchat_id: id,
            cluster_id: CLUSTER_ID.to_string(),
            gossip_interval: interval,
            listen_addr: self.config.listen,
            seed_nodes: self.config.seeds.iter().map(ToString::to_string).collect(),
            failure_detector_config: FailureDetectorConfig {
                // The 5 s default keeps detection slow for a long time.
                initial_interval: interval,
                dead_node_grace_period: DEAD_NODE_GRACE,
                ..FailureDetectorConfig::default()
            },
            marked_for_deletion_grace_period: DEAD_NODE_GRACE,
            catchup_callback: None,
            extra_liveness_predicate: None,
            protocol_version: ProtocolVersion::V1,
        };
        let transport = AuthTransport {
            key: self.config.key.clone(),
            metrics: self.metrics.clone(),
            readers: self.readers.clone(),
        };
        let initial = self
            .own
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let handle = spawn_chitchat(chitchat_config, initial, &transport)
            .await
            .map_err(|e| ClusterError {
                listen: self.config.listen,
                message: format!("{e:#}"),
            })?;
        let changed = self.changed.clone();
        let listener = handle
            .with_chitchat(|c| {
                let changed = changed.clone();
                c.subscribe_event("", move |_| changed.notify_one())
            })
            .await;
        self.handle = Some(handle);
        self._listener = Some(listener);
        Ok(())
    }

    async fn run(
        mut self,
        mut publish: mpsc::UnboundedReceiver<Publish>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        let mut tick = tokio::time::interval(self.config.gossip_interval);
        loop {
            let Some(handle) = self.handle.as_ref() else {
                return;
            };
            let ended = handle.termination_watcher();
            let mut live = handle.with_chitchat(|c| c.live_nodes_watcher()).await;
            tokio::select! {
                what = publish.recv() => match what {
                    Some(what) => self.apply(what).await,
                    None => return self.close().await,
                },
                _ = &mut stopped => return self.close().await,
                _ = self.changed.notified() => {}
                _ = live.changed() => {}
                _ = tick.tick() => {}
                result = ended => {
                    tracing::warn!(target: "alwayson::cluster", "gossip stopped ({result:?}); restarting with a new generation");
                    self.restart().await;
                }
            }
            self.refresh().await;
        }
    }

    /// Ends chitchat and waits until the gossip socket is closed.
    async fn close(&mut self) {
        self._listener = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.shutdown().await;
        }
        self.readers.stop_all().await;
    }

    /// chitchat's loop ended: start it again (retrying every interval).
    async fn restart(&mut self) {
        self.handle = None;
        loop {
            match self.spawn().await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(target: "alwayson::cluster", "{e}");
                    tokio::time::sleep(self.config.gossip_interval.max(Duration::from_secs(1)))
                        .await;
                }
            }
        }
    }

    /// Applies one publish to the own keys and to chitchat.
    async fn apply(&mut self, what: Publish) {
        let mut set = Vec::new();
        let mut delete = Vec::new();
        match what {
            Publish::Observation(check, value) => {
                set.push((
                    format!("{}{check}", keys::OBSERVATION),
                    keys::encode_observation(&value),
                ));
            }
            Publish::Override(check, event) => {
                set.push((
                    format!("{}{check}", keys::OVERRIDE),
                    keys::encode_override(&event),
                ));
            }
            Publish::Zones(zones) => {
                let wanted: BTreeMap<String, String> = zones
                    .iter()
                    .map(|(origin, z)| (format!("{}{origin}", keys::ZONE), keys::encode_zone(z)))
                    .collect();
                delete = self.own_keys(keys::ZONE, |k| !wanted.contains_key(k));
                set.extend(wanted);
            }
            Publish::Checks(checks) => {
                let keep: Vec<String> = checks
                    .iter()
                    .map(|c| format!("{}{c}", keys::OBSERVATION))
                    .collect();
                delete = self.own_keys(keys::OBSERVATION, |k| !keep.iter().any(|c| c == k));
            }
        }
        set.retain(|(k, v)| self.own.get(k) != Some(v));
        for (k, v) in &set {
            self.own.insert(k.clone(), v.clone());
        }
        for k in &delete {
            self.own.remove(k);
        }
        if let Some(handle) = &self.handle {
            handle
                .with_chitchat(|c| {
                    let state = c.self_node_state();
                    for (k, v) in &set {
                        state.set(k, v);
                    }
                    for k in &delete {
                        state.delete(k);
                    }
                })
                .await;
        }
    }

    fn own_keys(&self, prefix: &str, pick: impl Fn(&str) -> bool) -> Vec<String> {
        self.own
            .keys()
            .filter(|k| k.starts_with(prefix) && pick(k))
            .cloned()
            .collect()
    }

    /// Reads the members and their states; sends what changed.
    async fn refresh(&self) {
        let Some(handle) = &self.handle else { return };
        let me = handle.chitchat_id().clone();
        let now = SystemTime::now();
        let (members, inputs) = handle
            .with_chitchat(|c| {
                let live: Vec<ChitchatId> = c.live_nodes().cloned().collect();
                let states = c.node_states();
                let mut heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
                let mut newest: BTreeMap<&str, &ChitchatId> = BTreeMap::new();
                for id in states.keys() {
                    let slot = newest.entry(&*id.node_id).or_insert(id);
                    if id.generation_id > slot.generation_id {
                        *slot = id;
                    }
                }
                let mut members = Vec::new();
                let mut inputs = ClusterInputs::default();
                for id in newest.values() {
                    let Some(state) = states.get(*id) else {
                        continue;
                    };
                    let beat = state.heartbeat();
                    let entry = heard.entry((*id).clone()).or_insert((beat, now));
                    if entry.0 != beat {
                        *entry = (beat, now);
                    }
                    let is_self = **id == me;
                    let alive = is_self || live.contains(id);
                    let node = NodeName::from(&*id.node_id);
                    members.push(Member {
                        node: node.clone(),
                        gossip_addr: id.gossip_advertise_addr,
                        alive,
                        is_self,
                        generation: id.generation_id,
                        last_heard: if is_self { Some(now) } else { Some(entry.1) },
                    });
                    if !alive {
                        continue;
                    }
                    if !is_self {
                        inputs.peers.push(node.clone());
                    }
                    for (key, value) in state.key_values() {
                        inputs.add(&node, key, value);
                    }
                }
                heard.retain(|id, _| states.contains_key(id));
                (members, inputs)
            })
            .await;
        self.metrics
            .cluster
            .set_gauges(gauges(&self.config.node, &members, &inputs));
        self.inputs.send_if_modified(|current| {
            let changed = **current != inputs;
            if changed {
                *current = Arc::new(inputs.clone());
            }
            changed
        });
        let status = ClusterStatus {
            node: self.config.node.clone(),
            members,
            inputs,
        };
        self.status.send_replace(Arc::new(status));
    }
}
