//! The provider trait: the one seam between Casewire and whoever carries its texts.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{OutboundMessage, SendError, SendReceipt};

/// Something that sends texts: Twilio in production, [`crate::ConsoleProvider`] on a
/// developer's machine, [`crate::InMemoryProvider`] in tests. Used as
/// `Arc<dyn Provider>`.
///
/// Implementations put a timeout on every outbound call and report its expiry as
/// [`SendError::Uncertain`] if the request may have reached the provider.
#[async_trait]
pub trait Provider: Send + Sync {
    /// A short name for logs and configuration, such as `twilio`.
    fn name(&self) -> &str;

    /// Hands one text to the provider. `Ok` means the provider accepted it; delivery is
    /// reported later through status updates.
    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError>;
}

#[async_trait]
impl<P: Provider + ?Sized> Provider for Arc<P> {
    fn name(&self) -> &str {
        (**self).name()
    }

    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        (**self).send(message).await
    }
}

#[async_trait]
impl<P: Provider + ?Sized> Provider for Box<P> {
    fn name(&self) -> &str {
        (**self).name()
    }

    async fn send(&self, message: &OutboundMessage) -> Result<SendReceipt, SendError> {
        (**self).send(message).await
    }
}
