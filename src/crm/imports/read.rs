//! Reading an uploaded file into rows of text.
