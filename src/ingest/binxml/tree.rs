//! [`Item`]s (with a template instance's values) → a small element tree, the way the evtx
//! crate instantiates a record: substitutions replaced by their values, an element whose
//! dependency value is NULL left out, optional substitutions with an empty value dropped, and
//! attributes whose value is empty left out, and an embedded BinXML value (real logs keep
//! EventData in one) spliced in as the elements it holds. Reused from record to record (no
//! allocation once warm). Plain data.

use std::rc::Rc;

use super::tokens::{Item, Read, Val};

/// Embedded fragments deeper than this are left to the crate.
const MAX_NESTING: usize = 8;

/// Turns an embedded BinXML value (chunk offsets `start..end`) into the items and values it
/// holds.
pub trait Expand<'c> {
    fn expand(&mut self, start: u32, end: u32) -> Read<(Rc<[Item<'c>]>, Vec<Val<'c>>)>;
}

/// No element (end of a sibling chain).
pub const NONE: usize = usize::MAX;

/// One element of the tree.
#[derive(Clone, Copy, Debug)]
pub struct Element<'c> {
    /// Chunk offset of the name.
    pub name: u32,
    /// Range in [`Tree::attrs`].
    pub attrs: (usize, usize),
    /// The text content, if any (at most one value; more is unsupported).
    pub text: Option<Val<'c>>,
    pub first_child: usize,
    last_child: usize,
    pub next_sibling: usize,
}

/// A record's elements in document order; element 0 is the root.
#[derive(Debug, Default)]
pub struct Tree<'c> {
    pub elements: Vec<Element<'c>>,
    /// Attributes: (name offset, value), non-empty values only.
    pub attrs: Vec<(u32, Val<'c>)>,
    stack: Vec<usize>,
}

impl<'c> Tree<'c> {
    /// Children of `element`, in order.
    pub fn children(&self, element: usize) -> Children<'_, 'c> {
        Children {
            tree: self,
            next: self.elements[element].first_child,
        }
    }

    /// The attributes of `element`.
    pub fn attributes(&self, element: usize) -> &[(u32, Val<'c>)] {
        let (start, end) = self.elements[element].attrs;
        &self.attrs[start..end]
    }

    /// Builds the tree of `items`, substituting `values`. The first top-level element is the
    /// root; anything after it is unsupported.
    pub fn build(
        &mut self,
        items: &[Item<'c>],
        values: &[Val<'c>],
        expand: &mut dyn Expand<'c>,
    ) -> Read<()> {
        self.elements.clear();
        self.attrs.clear();
        self.stack.clear();
        self.add(items, values, expand, 0)?;
        if self.elements.is_empty() || !self.stack.is_empty() {
            return Err(crate::unsupported!());
        }
        Ok(())
    }

    /// Adds the elements of `items` under the element open now (the root at depth 0).
    fn add(
        &mut self,
        items: &[Item<'c>],
        values: &[Val<'c>],
        expand: &mut dyn Expand<'c>,
        depth: usize,
    ) -> Read<()> {
        let floor = self.stack.len();
        // The attribute whose value items are being read: (name, value so far).
        let mut attribute: Option<(u32, Option<Val<'c>>)> = None;
        let mut in_start_tag = false;
        let mut i = 0;
        while i < items.len() {
            match items[i] {
                Item::Open { name, dependency } => {
                    // A template's own root is always there; elements below it may be left out.
                    if self.stack.len() > floor && left_out(dependency, values) {
                        i = skip_element(items, i)?;
                        continue;
                    }
                    let parent = self.stack.last().copied();
                    if parent.is_none() && !self.elements.is_empty() {
                        return Err(crate::unsupported!());
                    }
                    self.open(name, parent);
                    in_start_tag = true;
                }
                Item::Attr { name } => {
                    if !in_start_tag {
                        return Err(crate::unsupported!());
                    }
                    self.finish_attribute(attribute.take());
                    attribute = Some((name, None));
                }
                Item::CloseStart => {
                    self.finish_attribute(attribute.take());
                    in_start_tag = false;
                }
                Item::CloseEmpty | Item::End => {
                    self.finish_attribute(attribute.take());
                    in_start_tag = false;
                    if self.stack.len() <= floor {
                        return Err(crate::unsupported!());
                    }
                    self.stack.pop();
                }
                Item::Val(v) => self.value(v, false, &mut attribute, in_start_tag)?,
                Item::Sub { index, optional } => {
                    // An index past the instance's values: the crate renders something of
                    // its own there; leave the chunk to it.
                    let v = *values
                        .get(usize::from(index))
                        .ok_or(crate::unsupported!())?;
                    // A NULL value in a normal (not optional) substitution: the crate
                    // renders it as text of its own making; leave the chunk to it.
                    if !optional && v == Val::Null {
                        return Err(crate::unsupported!());
                    }
                    match v {
                        Val::BinXml { start, end } if start < end => {
                            if in_start_tag || depth >= MAX_NESTING || self.stack.is_empty() {
                                return Err(crate::unsupported!());
                            }
                            let (nested, nested_values) = expand.expand(start, end)?;
                            self.add(&nested, &nested_values, expand, depth + 1)?;
                        }
                        _ => self.value(v, optional, &mut attribute, in_start_tag)?,
                    }
                }
            }
            i += 1;
        }
        if self.stack.len() != floor || attribute.is_some() || in_start_tag {
            return Err(crate::unsupported!());
        }
        Ok(())
    }

    fn open(&mut self, name: u32, parent: Option<usize>) {
        let id = self.elements.len();
        self.elements.push(Element {
            name,
            attrs: (self.attrs.len(), self.attrs.len()),
            text: None,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
        });
        if let Some(parent) = parent {
            let last = self.elements[parent].last_child;
            if last == NONE {
                self.elements[parent].first_child = id;
            } else {
                self.elements[last].next_sibling = id;
            }
            self.elements[parent].last_child = id;
        }
        self.stack.push(id);
    }

    fn value(
        &mut self,
        value: Val<'c>,
        optional: bool,
        attribute: &mut Option<(u32, Option<Val<'c>>)>,
        in_start_tag: bool,
    ) -> Read<()> {
        // An optional substitution with an empty value: nothing.
        if optional && value.is_empty() {
            return Ok(());
        }
        if in_start_tag {
            let (_, slot) = attribute.as_mut().ok_or(crate::unsupported!())?;
            if slot.is_some() {
                return Err(crate::unsupported!());
            }
            *slot = Some(value);
            return Ok(());
        }
        let current = *self.stack.last().ok_or(crate::unsupported!())?;
        let element = &mut self.elements[current];
        if element.text.is_some() || matches!(value, Val::BinXml { .. }) {
            return Err(crate::unsupported!());
        }
        element.text = Some(value);
        Ok(())
    }

    fn finish_attribute(&mut self, attribute: Option<(u32, Option<Val<'c>>)>) {
        if let Some((name, Some(value))) = attribute
            && !value.is_empty()
        {
            self.attrs.push((name, value));
            if let Some(&current) = self.stack.last() {
                self.elements[current].attrs.1 = self.attrs.len();
            }
        }
    }
}

/// An element whose dependency names a NULL value is left out (MS-EVEN6 §2.2.12).
fn left_out(dependency: Option<u16>, values: &[Val<'_>]) -> bool {
    dependency
        .and_then(|d| values.get(usize::from(d)))
        .is_some_and(|v| matches!(v, Val::Null))
}

/// The index just past the element opened at `items[open]`.
fn skip_element(items: &[Item<'_>], open: usize) -> Read<usize> {
    let mut depth = 0usize;
    for (i, item) in items.iter().enumerate().skip(open) {
        match item {
            Item::Open { .. } => depth += 1,
            Item::CloseEmpty | Item::End => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i + 1);
                }
            }
            _ => {}
        }
    }
    Err(crate::unsupported!())
}

/// Iterator over an element's children.
pub struct Children<'t, 'c> {
    tree: &'t Tree<'c>,
    next: usize,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.tree.elements[id].next_sibling;
        Some(id)
    }
}
