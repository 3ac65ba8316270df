//! Sans-IO delivery decisions for an MTA (skeleton; see issue "smtp-delivery").
#![forbid(unsafe_code)]
#![warn(missing_docs)]
